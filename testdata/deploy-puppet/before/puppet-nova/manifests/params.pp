# == Class: nova::params
#
# These parameters need to be accessed from several locations and
# should be considered to be constant
class nova::params {
  include openstacklib::defaults

  $pybasedir = $::openstacklib::defaults::pybasedir

  case $facts['os']['family'] {
    'RedHat': {
      $nova_wsgi_script_path            = '/var/www/cgi-bin/nova'
      $nova_api_wsgi_script_source      = '/usr/bin/nova-api-wsgi'
      $nova_metadata_wsgi_script_source = '/usr/bin/nova-metadata-wsgi'
    }
    'Debian': {
      $nova_wsgi_script_path            = '/usr/lib/cgi-bin/nova'
      $nova_api_wsgi_script_source      = '/usr/bin/nova-api-wsgi'
      $nova_metadata_wsgi_script_source = '/usr/bin/nova-metadata-wsgi'
    }
    default: {
      fail("Unsupported osfamily: ${facts['os']['family']}")
    }
  }
}
