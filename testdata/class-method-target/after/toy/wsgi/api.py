"""WSGI application replacing the ``toy-api`` script."""

import threading

from toy.app import Factory

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = Factory.build()
