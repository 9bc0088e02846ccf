#!/bin/bash
set -e
# Octavia and Glance share this host.
UWSGI_WSGI_FILE=/usr/bin/octavia-wsgi uwsgi --http-socket :9876 --master &
uwsgi --http :9292 --module glance.wsgi.api:application --master &

cat > /etc/heat/heat-api-uwsgi.ini <<EOF
[uwsgi]
module = heat.wsgi.api:application
http-socket = :8004
EOF
uwsgi --ini /etc/heat/heat-api-uwsgi.ini &
systemctl restart nova-api-wsgi
wait
