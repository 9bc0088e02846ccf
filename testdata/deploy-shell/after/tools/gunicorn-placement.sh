#!/bin/sh
# gunicorn cannot load a script file: this never worked.
exec gunicorn -b :8778 -w 2 /usr/local/bin/placement-api
