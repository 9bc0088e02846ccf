class nova::wsgi::apache_api (
  $servername         = $facts['networking']['fqdn'],
  $port               = 8774,
  $wsgi_script_dir    = $::nova::params::nova_wsgi_script_path,
  $wsgi_script_source = $::nova::params::nova_api_wsgi_script_source,
) inherits nova::params {

  openstacklib::wsgi::apache { 'nova_api_wsgi':
    servername         => $servername,
    port               => $port,
    wsgi_script_dir    => $wsgi_script_dir,
    wsgi_script_file   => 'nova-api-wsgi',
    wsgi_script_source => $wsgi_script_source,
  }

  # Before the params class existed:
  # wsgi_script_source => '/usr/bin/nova-api-wsgi',
}
