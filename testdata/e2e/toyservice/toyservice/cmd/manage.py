"""toyservice-manage: print where the configuration is read from."""

import sys

from toyservice import config


def main():
    sys.stdout.write(config.paste_config() + '\n')
    return 0
