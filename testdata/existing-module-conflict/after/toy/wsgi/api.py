"""WSGI application entry-point for the Toy API."""

import threading

from toy import app

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = app.init_other()
