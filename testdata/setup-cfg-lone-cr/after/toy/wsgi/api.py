"""WSGI application replacing the ``toy-api`` script."""

import threading

from toy.app import init

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = init()
