"""WSGI entry point: gunicorn wsgi:app"""
from stts import create_app

app = create_app()
