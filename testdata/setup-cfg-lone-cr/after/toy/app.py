"""Toy WSGI application factories (fixture stubs)."""

CALLS = []


def _make(name):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [name.encode('utf-8')]
    CALLS.append(app)
    return app


def init():
    return _make('init')


def admin():
    return _make('admin')
