"""The operator's tasks (STTS 3): inbox with filters, processing with a note."""
from datetime import date

from flask import request
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ProcessTaskForm, TaskFilterForm
from stts.forms import apply_service_error
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services import tasks as service


@bp.route("/tasks")
@requires("desk.tasks")
def tasks():
    form = TaskFilterForm(request.args)
    if not form.validate():
        form = TaskFilterForm(formdata=None)
    result = service.list_tasks(current_user, type_=form.type.data or None,
                                due=form.due.data or None, state=form.state.data or "OPEN",
                                page=page_arg(form.page.data))
    return render("desk/tasks.html", "desk/_tasks.html", form=form, result=result,
                  today=date.today(), details_of=service.details_of)


@bp.route("/tasks/<int:task_id>")
@requires("desk.tasks")
def task(task_id):
    """One task with its note form: a page, or the inbox row's fragment for htmx."""
    found = service.get_task(current_user, task_id)
    form = ProcessTaskForm(prefix=f"task{task_id}", formdata=None)
    return render("desk/task.html", "desk/_task_row.html", task=found, form=form,
                  today=date.today(), details_of=service.details_of)


@bp.route("/tasks/<int:task_id>/process", methods=["POST"])
@requires("desk.tasks")
def process_task(task_id):
    form = ProcessTaskForm(prefix=f"task{task_id}")
    status = 200
    task = service.get_task(current_user, task_id)
    if form.validate_on_submit():
        try:
            task = service.process_task(current_user, task_id, form.note.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
    else:
        status = 422
    return render("desk/task.html", "desk/_task_row.html", task=task, form=form,
                  today=date.today(), status=status, details_of=service.details_of)
