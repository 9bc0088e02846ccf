"""WSGI script entry point for the API server (what PBR's wsgi_scripts call)."""

from toyservice import wsgi_app


def init_application():
    return wsgi_app.init_application('api')
