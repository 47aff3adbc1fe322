"""WSGI entry point: gunicorn wsgi:app"""
from stts.app import create_app

app = create_app()
