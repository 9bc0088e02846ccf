# == Class: mycloud::neutron::params
#
# Distribution-specific names of the neutron packages and services.
#
class mycloud::neutron::params {
  case $facts['os']['family'] {
    'Debian': {
      $api_package_name = 'neutron-api'
      $api_service_name = 'neutron-api'
    }
    'RedHat': {
      $api_package_name = 'openstack-neutron'
      $api_service_name = 'neutron-server'
    }
    default: {
      fail("Unsupported osfamily: ${facts['os']['family']}")
    }
  }
}
