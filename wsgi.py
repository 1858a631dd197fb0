"""WSGI entry point: `gunicorn wsgi:app` serves it; `flask --app wsgi` is the CLI."""

from coalition import create_app

app = create_app()
