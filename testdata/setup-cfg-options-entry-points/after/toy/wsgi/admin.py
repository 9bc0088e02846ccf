"""WSGI application replacing the ``toy-admin`` script."""

import threading

from toy.app import init_admin

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = init_admin()
