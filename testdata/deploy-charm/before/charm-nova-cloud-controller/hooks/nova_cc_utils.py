from charmhelpers.contrib.openstack import context

WSGI_NOVA_METADATA_API_CONF = '/etc/apache2/sites-enabled/wsgi-api-metadata.conf'
# The process group and log names mod_wsgi uses for the metadata API
METADATA_PROCESS_NAME = 'nova-metadata-wsgi'


def get_metadata_contexts():
    return [
        context.WSGIWorkerConfigContext(
            'nova-api-os-compute',
            '/usr/bin/nova-api-wsgi',
            user='nova'),
        context.WSGIWorkerConfigContext(
            name='nova-api-metadata',
            script='/usr/bin/nova-metadata-wsgi',
            user='nova'),
    ]
