from flask import Blueprint

bp = Blueprint("auth", __name__)

from stts.blueprints.auth import views  # noqa: E402,F401
from stts.blueprints.auth import first_login  # noqa: E402,F401
