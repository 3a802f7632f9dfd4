"""`gunicorn wsgi:app` and `flask --app wsgi ...`."""
from core import create_app

app = create_app()
