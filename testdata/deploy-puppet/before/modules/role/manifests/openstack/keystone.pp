class role::openstack::keystone::server {
    service::uwsgi { 'keystone-public':
        port   => 5000,
        config => {
            'wsgi-file' => '/usr/bin/keystone-wsgi-public',
            "name"      => "keystone",
            'processes' => 8,
        },
    }
    service::uwsgi { "octavia-api":
        config => {
            "wsgi-file" => "${octavia_bin}/octavia-wsgi",
            "socket"    => "/run/uwsgi/octavia-api.sock",
        },
    }
    exec { 'keystone smoke test':
        command => '/usr/bin/keystone-wsgi-public --port 35357 --help',
    }
}
