"""WSGI application for the quokka API, loaded by uWSGI."""

import threading


def init_application():
    def application(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'quokka\n']
    return application


app = application = None

lock = threading.Lock()
with lock:
    if application is None:
        application = init_application()
        app = application
