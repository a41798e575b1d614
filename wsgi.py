"""The application, where Flask's CLI finds it without FLASK_APP (`flask seed-demo` from the
project root) and where gunicorn is pointed: `gunicorn wsgi:app`."""

from server.app import create_app

app = create_app()
