"""The ``desk`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint
from flask_login import current_user

from stts.services.tasks import open_task_count

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.app_context_processor
def _open_tasks():
    """``desk_open_tasks()`` for the navigation: one cheap COUNT, only when asked."""

    def desk_open_tasks() -> int:
        return open_task_count(current_user)

    return {"desk_open_tasks": desk_open_tasks}
