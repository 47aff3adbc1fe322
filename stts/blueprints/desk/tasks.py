"""The operator's tasks (STTS 3): inbox with filters, processing with a note."""
from datetime import date
from urllib.parse import parse_qsl, urlsplit

from flask import flash, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ProcessTaskForm, TaskFilterForm
from stts.forms import apply_service_error
from stts.htmx import is_fragment, redirect_to
from stts.i18n import gettext as _
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
    result = _listed(form)
    return render("desk/tasks.html", "desk/_tasks.html", form=form, result=result,
                  today=date.today(), details_of=service.details_of,
                  blocker_of=service.blocker_of)


def _listed(form):
    return service.list_tasks(current_user, type_=form.type.data or None,
                              due=form.due.data or None, state=form.state.data or "OPEN",
                              page=page_arg(form.page.data))


def _inbox_shown():
    """The inbox the task was processed from, listed again with the page's filters (htmx
    sends the page's address), so that its count follows; None from any other page."""
    address = urlsplit(request.headers.get("HX-Current-URL", ""))
    if address.path != url_for("desk.tasks"):
        return None
    form = TaskFilterForm(MultiDict(parse_qsl(address.query)))
    return _listed(form) if form.validate() else None


def _show(task, form, status=200, nav_count=None, inbox=None):
    """The task's page (what to do, the link to the action, the note form), or for htmx
    the inbox row with its note form (after processing, the navigation's and the inbox's
    new counts)."""
    return render("desk/task.html", "desk/_task_row.html", task=task, form=form,
                  today=date.today(), status=status, details_of=service.details_of,
                  blocker_of=service.blocker_of, nav_count=nav_count, inbox=inbox)


@bp.route("/tasks/<int:task_id>")
@requires("desk.tasks")
def task(task_id):
    found = service.get_task(current_user, task_id)
    return _show(found, ProcessTaskForm(prefix=f"task{task_id}", formdata=None))


@bp.route("/tasks/<int:task_id>/process", methods=["POST"])
@requires("desk.tasks")
def process_task(task_id):
    form = ProcessTaskForm(prefix=f"task{task_id}")
    task = service.get_task(current_user, task_id)
    status = 422
    if form.validate_on_submit():
        try:
            task = service.process_task(current_user, task_id, form.note.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            if not is_fragment():
                # Post/Redirect/Get: reloading the task's page never sends the note again.
                flash(_("The task is marked as processed."), "success")
                return redirect_to(url_for("desk.task", task_id=task_id), code=303)
            count = service.open_task_count(current_user)
            return _show(task, form, nav_count=service.open_task_label(count),
                         inbox=_inbox_shown())
    return _show(task, form, status=status)
