"""Toy WSGI application factories (fixture stubs)."""

CALLS = []


def _make(name):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [name.encode('utf-8')]
    CALLS.append(app)
    return app


def init_application():
    return _make('init_application')


def init_other():
    return _make('init_other')
