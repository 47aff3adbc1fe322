from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.context_processor
def _labels():
    from stts.blueprints.desk.labels import label_context

    return label_context()


@bp.app_context_processor
def _open_tasks():
    """``desk_open_tasks()`` for the navigation: one cheap COUNT, only when asked."""

    def desk_open_tasks() -> int:
        from flask_login import current_user

        from stts.services.tasks import open_task_count

        return open_task_count(current_user)

    return {"desk_open_tasks": desk_open_tasks}


from stts.blueprints.desk import (  # noqa: E402,F401
    actions,
    requesting,
    tasks,
    views,
    xml,  # noqa: E402,F401 (structured messages)
)
