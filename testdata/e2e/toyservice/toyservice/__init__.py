"""toyservice: a small service laid out like an OpenStack API service.

Two WSGI servers (an API and a metadata server, like nova's) are built from one PasteDeploy
file; each is served by its own process.
"""
