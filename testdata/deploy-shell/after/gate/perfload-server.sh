#!/bin/bash -x
# Run placement for the perfload job.
WORK_DIR=$1

# Do some performance related information gathering for placement.
python3 -m venv .placement
.placement/bin/pip install -U pip uwsgi
.placement/bin/uwsgi --http :8000 --module placement.wsgi.api:application --daemonize ${WORK_DIR}/logs/placement-api.log --processes 5 --threads 10
