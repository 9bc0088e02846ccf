#!/bin/bash
# Start the Compute API under uWSGI (locistack style).
set -ex

mkdir -p /var/log/nova
#uwsgi --http 0.0.0.0:8774 --wsgi-file /usr/bin/nova-api-wsgi
exec uwsgi \
      --http-socket 0.0.0.0:8774 \
      --master \
      --processes 4 \
      --module nova.wsgi.osapi_compute:application \
      --pyargv "--config-file /etc/nova/nova.conf"
