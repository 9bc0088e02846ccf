"""WSGI application replacing the ``quokka-wsgi`` script."""

import threading

from quokka.api.app import build_wsgi_app

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = build_wsgi_app()
