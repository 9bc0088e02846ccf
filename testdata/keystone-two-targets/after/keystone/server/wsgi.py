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

"""WSGI application factories for the Identity API (v2.0 had two)."""

CALLS = []


class _App(object):
    def __init__(self, name):
        self.name = name

    def __call__(self, environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [self.name.encode('utf-8')]


def initialize_application(name):
    app = _App('keystone-' + name)
    CALLS.append(app)
    return app


def initialize_admin_application():
    return initialize_application(name='admin')


def initialize_public_application():
    return initialize_application(name='main')
