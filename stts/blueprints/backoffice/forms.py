"""The back-office's forms (labels translated lazily, as everywhere)."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from stts.forms import CHOOSE, Form
from stts.i18n import lazy_gettext as _l
from stts.labels import ACCESS_STATUS_LABELS, ALL_CATEGORIES, CATEGORY_LABELS
from stts.services import parse_id
from stts.services.review import AGE_FILTERS, REASON_MAX


class ReviewFilterForm(Form):
    class Meta:
        csrf = False

    operator = SelectField(_l("Operator"), validators=[Optional()], coerce=str)
    category = SelectField(_l("Category"), validators=[Optional()],
                           choices=[("", ALL_CATEGORIES)] + list(CATEGORY_LABELS.items()))
    age = SelectField(_l("Waiting for"), validators=[Optional()], choices=[
        ("", _l("Any time"))] + [(str(d), _l("more than %(num)s days", num=d))
                                 for d in AGE_FILTERS])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class DecideForm(Form):
    version = HiddenField()
    decision = SelectField(_l("Decision"), validators=[InputRequired(_l("Choose the decision."))],
                           choices=[("", CHOOSE), ("APPROVE", _l("Approve")),
                                    ("REJECT", _l("Reject"))])
    reason = TextAreaField(_l("Reason of the decision"),
                           validators=[InputRequired(_l("Give the reason.")),
                                       Length(max=REASON_MAX)],
                           description=_l("Shown to the operator on the dossier."))


class AskDocumentsForm(Form):
    version = HiddenField()
    due_date = DateField(_l("Documents due by"),
                         validators=[InputRequired(_l("Enter the due date."))])
    reason = TextAreaField(_l("Documents asked"),
                           validators=[InputRequired(_l("Say which documents are needed.")),
                                       Length(max=REASON_MAX)])


class CloseForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Note"), validators=[Optional(), Length(max=REASON_MAX)])


class StartForm(Form):
    pass


class RegisterUploadForm(Form):
    file = FileField(_l("National Register file (CSV)"),
                     validators=[FileRequired(_l("Choose the CSV file to import."))],
                     render_kw={"accept": ".csv,text/csv"})


STATUS_FILTERS = [("open", _l("Open (awaiting or being processed)")), ("all", _l("All")),
                  *ACCESS_STATUS_LABELS.items()]


class AccessRequestFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Ticket or enterprise number"), validators=[Optional(), Length(max=40)])
    status = SelectField(_l("Status"), choices=STATUS_FILTERS, default="open",
                         validators=[Optional()])
    overdue = BooleanField(_l("Only overdue (more than 5 days after the original arrived)"))
    page = IntegerField(default=1, validators=[Optional()])


class VersionForm(Form):
    version = HiddenField(validators=[InputRequired()])


class OriginalForm(VersionForm):
    gazette_received = BooleanField(_l("The copy of the Official Gazette publication arrived too"))


class RefuseForm(VersionForm):
    reason = TextAreaField(_l("Reason of the refusal"),
                           validators=[InputRequired(message=_l("Give the reason of the refusal.")),
                                       Length(max=1000)],
                           description=_l("Shown to whoever follows the request with its ticket."))


SEARCH = {"type": "search", "autocomplete": "off"}


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    company = SelectField(_l("Company"), validators=[Optional()], coerce=str,
                          validate_choice=False)
    actor = StringField(_l("Done by (username)"), validators=[Optional(), Length(max=64)],
                        render_kw=SEARCH)
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False)
    object_type = SelectField(_l("Object type"), validators=[Optional()], validate_choice=False)
    object_id = StringField(_l("Object"), validators=[Optional(), Length(max=64)],
                            description=_l("An object number, or a national register number: "
                                           "it is searched by its keyed hash, never stored."),
                            render_kw=SEARCH)
    result = SelectField(_l("Result"), validators=[Optional()], validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def validate_company(self, field):
        if field.data and parse_id(field.data) is None:
            raise ValidationError(_l("Choose a company from the list."))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class VerifyForm(Form):
    pass


class UnlockForm(Form):
    username = StringField(_l("Username"), validators=[
        InputRequired(_l("Give the username.")), Length(max=64)])
    reason = TextAreaField(_l("Reason of the unlock"), validators=[
        InputRequired(_l("Give the reason for the unlock.")), Length(max=500)])
