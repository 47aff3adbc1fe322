"""The ``backoffice`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")
