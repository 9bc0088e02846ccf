FROM python:3.12-slim
RUN pip install --no-cache-dir keystone gunicorn
CMD ["gunicorn", "--bind", ":5001", "/usr/local/bin/keystone-wsgi-admin"]
