"""WSGI application replacing the ``toy-admin`` script."""

import threading

from toy.app import admin

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = admin()
