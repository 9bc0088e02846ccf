"""Where the service finds its configuration.

Like nova's ``OS_NOVA_CONFIG_DIR``, an environment variable names the directory and a default
is used without it: here the ``etc/`` directory installed with the package.
"""

import os

CONFIG_DIR_ENV = 'TOYSERVICE_CONFIG_DIR'
DEFAULT_CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'etc')


def config_dir(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR


def paste_config(environ=None):
    return os.path.join(config_dir(environ), 'api-paste.ini')
