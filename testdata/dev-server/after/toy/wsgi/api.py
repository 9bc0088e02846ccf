"""WSGI application replacing the ``toy-api`` script."""

import threading

from toy.app import init

application = None
app_lock = threading.Lock()


def _serve():
    """Serve the application with wsgiref, for development only."""
    import argparse
    import sys
    from wsgiref import simple_server

    factory = init
    parser = argparse.ArgumentParser(
        description=factory.__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        usage='%(prog)s [-h] [--port PORT] [--host IP] -- [passed options]')
    parser.add_argument('--port', '-p', type=int, default=8000,
                        help='TCP port to listen on')
    parser.add_argument('--host', '-b', default='',
                        help='IP to bind the server to')
    parser.add_argument('args', nargs=argparse.REMAINDER,
                        metavar='-- [passed options]',
                        help="'--' is the separator of the arguments used to "
                             "start the WSGI server and the arguments passed "
                             "to the WSGI application.")
    args = parser.parse_args()
    if args.args:
        if args.args[0] == '--':
            args.args.pop(0)
        else:
            parser.error("unrecognized arguments: %s" % ' '.join(args.args))
    sys.argv[1:] = args.args
    app = factory()
    server = simple_server.make_server(args.host, args.port, app)

    print("*" * 80)
    print("STARTING test server %s.%s"
          % (factory.__module__, factory.__qualname__))
    print("Available at http://%s:%d/"
          % (server.server_name, server.server_port))
    print("DANGER! For testing only, do not use in production")
    print("*" * 80)
    sys.stdout.flush()

    server.serve_forever()


if __name__ == "__main__":
    _serve()
else:
    with app_lock:
        if application is None:
            application = init()
