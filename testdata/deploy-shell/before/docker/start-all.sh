#!/bin/bash
set -e
# Octavia and Glance share this host.
UWSGI_WSGI_FILE=/usr/bin/octavia-wsgi uwsgi --http-socket :9876 --master &
uwsgi --http :9292 --wsgi-file /usr/bin/glance-wsgi-api --master &

cat > /etc/heat/heat-api-uwsgi.ini <<EOF
[uwsgi]
wsgi-file = ${HEAT_BIN_DIR}/heat-wsgi-api
http-socket = :8004
EOF
uwsgi --ini /etc/heat/heat-api-uwsgi.ini &
systemctl restart nova-api-wsgi
wait
