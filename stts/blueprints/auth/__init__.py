from flask import Blueprint

bp = Blueprint("auth", __name__)

from stts.blueprints.auth import first_login, views  # noqa: E402,F401
