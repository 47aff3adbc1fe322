"""The ``console`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
