#!/bin/bash
set -e
# mod_wsgi loads a copy of the script from cgi-bin.
mkdir -p /var/www/cgi-bin/cinder
cp -a /var/lib/kolla/venv/bin/cinder-wsgi /var/www/cgi-bin/cinder/cinder-wsgi
systemctl restart apache2
