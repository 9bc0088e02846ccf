# Copyright 2010 OpenStack Foundation
# All Rights Reserved.
#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Methods for working with eventlet WSGI servers."""

import socket


class Server(object):
    """Server class to manage a WSGI server, serving a WSGI application."""

    def __init__(self, conf, name, app, host='0.0.0.0', port=0):
        self.conf = conf
        self.name = name
        self.app = app
        self.host = host
        self.port = port

    def start(self):
        """Open the listening socket."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
