"""The ``desk`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint
from flask_login import current_user

from stts.services.tasks import open_task_count, open_task_label

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.app_context_processor
def _open_tasks():
    """``desk_open_tasks()`` for the navigation: one capped COUNT, only when asked."""

    def desk_open_tasks() -> str:
        return open_task_label(open_task_count(current_user))

    return {"desk_open_tasks": desk_open_tasks}
