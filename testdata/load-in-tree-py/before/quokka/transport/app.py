"""The Quokka WSGI application."""


def _build():
    return object()


application = _build()
