FROM python:3.12-slim
RUN pip install --no-cache-dir keystone uwsgi
CMD ["sh", "-c", "exec uwsgi --http-socket :5000 --wsgi-file $(which keystone-wsgi-public)"]
