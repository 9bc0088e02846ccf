# == Class: mycloud::neutron::api
#
# Installs the neutron-api package and runs the neutron-api service.
#
# === Parameters
#
# [*enabled*]
#   (optional) Whether the neutron-api service should be running.
#   Defaults to true.
#
# [*package_ensure*]
#   (optional) Ensure state of the neutron-api package.
#   Defaults to 'present'.
#
class mycloud::neutron::api (
  Boolean $enabled        = true,
  String $package_ensure  = 'present',
) {
  include mycloud::neutron::deps

  package { 'neutron-api':
    ensure => $package_ensure,
    tag    => ['openstack', 'neutron-package'],
  }

  $service_ensure = $enabled ? {
    true    => 'running',
    default => 'stopped',
  }

  service { 'neutron-api':
    ensure  => $service_ensure,
    enable  => $enabled,
    require => Package['neutron-api'],
    tag     => 'neutron-service',
  }

  # Restart the API whenever its configuration changes.
  Neutron_config<||> ~> Service['neutron-api']
  Exec['neutron-db-sync'] -> Service['neutron-api']
}
