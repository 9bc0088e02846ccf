"""An application that reads its options from sys.argv, as oslo.config ones do.

argparse exits with status 2 on any argument it does not know: imported with stray
arguments in sys.argv (`python -c SCRIPT MARKER MODULE`), building the application fails.
"""

import argparse
import sys


def init():
    parser = argparse.ArgumentParser(prog='toy-api')
    parser.add_argument('--config-file', default='/etc/toy/toy.conf')
    options = parser.parse_args(sys.argv[1:])

    def application(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [options.config_file.encode('utf-8')]

    return application
