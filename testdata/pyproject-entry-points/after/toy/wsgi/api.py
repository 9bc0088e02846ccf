"""WSGI application replacing the ``toy-api`` script."""

import threading

from toy.app import init_api

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = init_api()
