"""The metadata server's application: a small tree of instance metadata."""

import webob
import webob.dec

SERVER = 'metadata'
TREE = {
    '/latest/meta-data/': 'hostname\ninstance-id\n',
    '/latest/meta-data/hostname': 'toy-host',
    '/latest/meta-data/instance-id': 'i-00000001',
}


class MetadataApp(object):
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
            body['versions'] = ['latest']
        elif req.path_info in TREE:
            body['data'] = TREE[req.path_info]
        else:
            body['error'] = 'not found'
            return webob.Response(status=404, json_body=body)
        return webob.Response(json_body=body)


def app_factory(global_conf, **local_conf):
    return MetadataApp(release=global_conf['release'])
