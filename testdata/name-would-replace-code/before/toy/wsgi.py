"""Utility methods for working with WSGI servers."""

import socket


class Server(object):
    """Server class to manage a WSGI server, serving a WSGI application."""

    def __init__(self, name, app, host='0.0.0.0', port=0):
        self.name = name
        self.app = app
        self._socket = socket.socket()
