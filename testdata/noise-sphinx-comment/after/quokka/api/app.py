"""The quokka WSGI application factory (fixture stub)."""

CALLS = []


def build_wsgi_app():
    def application(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'quokka\n']
    CALLS.append(application)
    return application
