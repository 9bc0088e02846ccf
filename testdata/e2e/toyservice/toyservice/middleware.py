"""A small middleware, as every OpenStack pipeline has in front of its application."""

import hashlib

import webob.dec


class RequestId(object):
    """Give every response an ``X-Openstack-Request-Id`` header.

    The id is derived from the request (method and path), not random, so that the answers of
    different servers can be compared byte for byte.
    """

    HEADER = 'X-Openstack-Request-Id'

    def __init__(self, application, prefix='req-'):
        self.application = application
        self.prefix = prefix

    @classmethod
    def factory(cls, global_conf, **local_conf):
        def filter(application):
            return cls(application, **local_conf)
        return filter

    @webob.dec.wsgify
    def __call__(self, req):
        response = req.get_response(self.application)
        digest = hashlib.sha256(
            ('%s %s' % (req.method, req.path_info)).encode('utf-8'))
        response.headers[self.HEADER] = self.prefix + digest.hexdigest()[:16]
        return response
