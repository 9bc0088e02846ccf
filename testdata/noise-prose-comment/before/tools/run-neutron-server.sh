#!/bin/bash
# Start the neutron API for the all-in-one lab.
#
# PBR has generated and installed the neutron-api script into the venv, but we
# serve neutron-api through uwsgi and its own ini file, so nothing below runs it.
# Who starts neutron-api on the compute nodes? Nobody: they only run agents.
set -eu

exec /opt/venv/bin/uwsgi --ini /etc/neutron/api-uwsgi.ini
