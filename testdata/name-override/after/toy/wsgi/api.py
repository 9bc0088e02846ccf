"""WSGI application replacing the ``toy-wsgi-admin`` script."""

import threading

from toy.app import init_application

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = init_application()
