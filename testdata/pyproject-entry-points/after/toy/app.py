"""Toy WSGI application factories (fixture stubs)."""

CALLS = []


def _make(name):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [name.encode('utf-8')]
    CALLS.append(app)
    return app


def init_api():
    return _make('init_api')


def init_metadata():
    return _make('init_metadata')
