def wsgi():
    def application(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'quokka\n']
    return application


def serve():
    return 0


def upgrade():
    return 0
