import ops_sunbeam.charm as sunbeam_charm


class NovaOperatorCharm(sunbeam_charm.OSBaseOperatorAPICharm):
    """Charm the service."""

    service_name = "nova-api"
    wsgi_admin_script = "/usr/bin/nova-api-wsgi"
    wsgi_public_script = "/usr/bin/nova-api-wsgi"
