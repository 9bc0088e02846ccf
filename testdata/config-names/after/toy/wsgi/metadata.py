"""WSGI application replacing the ``toy-metadata`` script."""

import threading

from toy.app import init_metadata

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = init_metadata()
