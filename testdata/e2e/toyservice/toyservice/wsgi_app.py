"""The loader both WSGI servers share: one PasteDeploy application per server."""

import os

from paste import deploy

from toyservice import config


def init_application(name):
    """Build the WSGI application called ``name`` in the paste config."""
    paste_file = config.paste_config()
    if not os.path.exists(paste_file):
        raise RuntimeError('cannot find the paste config %s' % paste_file)
    return deploy.loadapp('config:%s' % paste_file, name=name)
