"""The company's activity: its audit trail, filtered and paginated."""
from flask import request
from flask_login import current_user

from stts.blueprints.console.blueprint import bp
from stts.blueprints.console.forms import ActivityForm
from stts.i18n import gettext as _
from stts.labels import AUDIT_ACTION_LABELS, labelled
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services.console import ActivityFilter, company_actions, search_activity


@bp.route("/activity")
@requires("console.activity")
def activity():
    form = ActivityForm(formdata=request.args)
    form.action.choices = [("", _("Any action"))] + labelled(AUDIT_ACTION_LABELS,
                                                             company_actions(current_user))
    result, status = None, 200
    if form.validate():
        criteria = ActivityFilter(action=form.action.data or "", actor=form.actor.data or "",
                                  date_from=form.date_from.data, date_to=form.date_to.data)
        result = search_activity(current_user, criteria, page=page_arg(request.args.get("page")))
    else:
        status = 422
    return render("console/activity.html", "console/_activity_results.html", form=form,
                  result=result, status=status)
