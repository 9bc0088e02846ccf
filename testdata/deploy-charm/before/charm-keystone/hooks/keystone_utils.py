# Copyright 2016 Canonical Ltd
#
# Licensed under the Apache License, Version 2.0 (the "License");

from charmhelpers.contrib.openstack import context

WSGI_KEYSTONE_API_CONF = '/etc/apache2/sites-enabled/wsgi-openstack-api.conf'


def resource_map():
    return {
        WSGI_KEYSTONE_API_CONF: {
            'contexts': [
                context.WSGIWorkerConfigContext(
                    name="keystone",
                    admin_script='/usr/bin/keystone-wsgi-admin',
                    public_script='/usr/bin/keystone-wsgi-public'),
            ],
            'services': ['apache2'],
        },
    }
