FROM python:3.12-slim
RUN python3 -m venv /var/lib/openstack \
    && /var/lib/openstack/bin/pip install uwsgi openstack-placement
EXPOSE 8778
# the old way:
# CMD uwsgi --http :8778 --wsgi-file /var/lib/openstack/bin/placement-api
CMD /var/lib/openstack/bin/uwsgi --http :8778 \
    --processes 2 \
    --wsgi-file /var/lib/openstack/bin/placement-api
