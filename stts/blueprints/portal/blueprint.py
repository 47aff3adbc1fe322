"""The ``portal`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint

bp = Blueprint("portal", __name__)
