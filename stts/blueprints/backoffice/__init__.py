from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from stts.blueprints.backoffice import (  # noqa: E402,F401
    access_requests,  # noqa: E402,F401
    audit,
    register,
    review,
    views,  # noqa: E402,F401
)
