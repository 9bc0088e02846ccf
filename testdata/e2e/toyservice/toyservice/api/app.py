"""The API server's application: a versions document and one collection."""

import webob
import webob.dec

SERVER = 'api'
THINGS = [{'id': 1, 'name': 'one'}, {'id': 2, 'name': 'two'}]


class APIApp(object):
    def __init__(self, release):
        self.release = release

    @webob.dec.wsgify
    def __call__(self, req):
        body = {
            'server': SERVER,
            'release': self.release,
            'method': req.method,
            'script_name': req.script_name,
            'path': req.path_info,
        }
        if req.path_info == '/':
            body['versions'] = [{'id': 'v1', 'status': 'CURRENT'}]
        elif req.path_info == '/v1/things':
            body['things'] = THINGS
        else:
            body['error'] = 'not found'
            return webob.Response(status=404, json_body=body)
        return webob.Response(json_body=body)


def app_factory(global_conf, **local_conf):
    return APIApp(release=global_conf['release'])
