"""WSGI helpers."""

from . import app


def make():
    return app.init()
