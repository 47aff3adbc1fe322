"""The ``auth`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
