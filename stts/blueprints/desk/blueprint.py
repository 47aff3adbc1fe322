"""The ``desk`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint, g
from flask_login import current_user

from stts.services.tasks import open_task_count, open_task_label

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.app_context_processor
def _open_tasks():
    """``desk_open_tasks()`` for the navigation and the desk home: one capped COUNT, only
    when asked, and once per request however many places show it."""

    def desk_open_tasks() -> str:
        if "desk_open_tasks" not in g:
            g.desk_open_tasks = open_task_label(open_task_count(current_user))
        return g.desk_open_tasks

    return {"desk_open_tasks": desk_open_tasks}


@bp.before_app_request
def _count_open_tasks_afresh():
    # An application context may span several requests (tests, the CLI): never a count
    # from a previous request.
    g.pop("desk_open_tasks", None)
