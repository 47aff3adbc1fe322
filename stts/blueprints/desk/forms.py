"""The desk's forms (Flask-WTF, labels translated lazily)."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from stts.forms import CHOOSE, Form, MoneyField, identifier
from stts.i18n import lazy_gettext as _l
from stts.i18n import lazy_pgettext
from stts.identifiers import clean_national_number, clean_phone_number
from stts.labels import (
    ALL_CATEGORIES,
    CATEGORY_LABELS,
    CEASE_REASON_LABELS,
    SERVICE_LABELS,
    STATE_LABELS,
    TASK_LABELS,
)


def _choices(labels, blank=None):
    items = list(labels.items())
    return ([("", blank)] if blank is not None else []) + items


national_number = identifier(clean_national_number)
phone_number = identifier(clean_phone_number)


def _nrn_field(**kw):
    return StringField(_l("National register number"),
                       validators=[InputRequired(_l("Enter a national register number.")),
                                   national_number],
                       description=_l("11 digits, e.g. 85.07.30-033.28"),
                       render_kw={"inputmode": "numeric", "autocomplete": "off"}, **kw)


class CommercialMixin:
    service = SelectField(_l("Service"), choices=_choices(SERVICE_LABELS, _l("— not yet known —")),
                          validators=[Optional()])
    phone_number = StringField(_l("Phone number"), validators=[Optional(), phone_number],
                               render_kw={"autocomplete": "off", "type": "tel"})
    customer_number = StringField(_l("Customer number"), validators=[Optional(), Length(max=40)])
    tariff_formula = StringField(_l("Tariff formula"), validators=[Optional(), Length(max=100)])
    installation_costs = MoneyField(_l("Installation costs (EUR)"), validators=[Optional()],
                                    description=_l("For example 12,50."))

    def commercial_data(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("service", "phone_number", "customer_number", "tariff_formula",
                 "installation_costs")}


class RequestForm(CommercialMixin, Form):
    national_number = _nrn_field()
    category = SelectField(_l("Category"), choices=_choices(CATEGORY_LABELS, CHOOSE),
                           validators=[InputRequired()])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)],
                            description=_l("Taken from the eligibility source when the person "
                                           "is known."))
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])

    def data_for_service(self) -> dict:
        data = self.commercial_data()
        for name in ("national_number", "category", "last_name", "first_name", "street",
                     "postcode", "city"):
            data[name] = getattr(self, name).data
        return data


class TransferForm(CommercialMixin, Form):
    national_number = _nrn_field()
    activation_date = DateField(_l("Activation date"), validators=[Optional()])
    invoice_date = DateField(_l("Invoice date"), validators=[Optional()])

    service = SelectField(_l("Service"), choices=_choices(SERVICE_LABELS, CHOOSE),
                          validators=[InputRequired(_l("Choose the service."))])
    phone_number = StringField(_l("Phone number"),
                               validators=[InputRequired(_l("Enter a phone number.")),
                                           phone_number],
                               render_kw={"autocomplete": "off", "type": "tel"})
    customer_number = StringField(_l("Customer number"), validators=[
        InputRequired(_l("Enter your customer number.")), Length(max=40)])
    tariff_formula = StringField(_l("Tariff formula"), validators=[
        InputRequired(_l("Enter the tariff formula.")), Length(max=100)])


class ModifyForm(CommercialMixin, Form):
    version = HiddenField()


class ActivateForm(Form):
    version = HiddenField()
    activation_date = DateField(_l("Activation date"), validators=[InputRequired()])
    invoice_date = DateField(_l("Invoice date"), validators=[InputRequired()])


class CeaseForm(Form):
    version = HiddenField()
    reason = SelectField(_l("Reason"), choices=_choices(CEASE_REASON_LABELS, CHOOSE),
                         validators=[InputRequired()])
    effective_date = DateField(_l("Effective date"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])


class CancelForm(Form):
    version = HiddenField()
    action_id = HiddenField()
    reason = TextAreaField(_l("Reason for the cancellation"),
                           validators=[InputRequired(), Length(max=1000)])


class SearchForm(Form):
    class Meta:
        csrf = False

    national_number = StringField(_l("National register number"),
                                  validators=[Optional(), national_number],
                                  render_kw={"inputmode": "numeric", "autocomplete": "off",
                                             "type": "search"})
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)],
                       description=_l("Last name, then first name; the beginning is enough."),
                       render_kw={"type": "search", "autocomplete": "off"})
    phone_number = StringField(_l("Phone number"), validators=[Optional(), phone_number],
                               render_kw={"type": "search", "autocomplete": "off"})
    customer_number = StringField(_l("Customer number"), validators=[Optional(), Length(max=40)],
                                  render_kw={"type": "search", "autocomplete": "off"})
    state = SelectField(_l("State"), choices=_choices(STATE_LABELS, _l("All")),
                        validators=[Optional()])
    category = SelectField(_l("Category"), choices=_choices(CATEGORY_LABELS, ALL_CATEGORIES),
                           validators=[Optional()])
    created_from = DateField(_l("Created from"), validators=[Optional()])
    created_to = DateField(_l("Created until"), validators=[Optional()])
    activated_from = DateField(_l("Activated from"), validators=[Optional()])
    activated_to = DateField(_l("Activated until"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    FILTERS = ("national_number", "name", "phone_number", "customer_number", "state",
               "category", "created_from", "created_to", "activated_from", "activated_to")

    def filters(self) -> dict:
        return {name: getattr(self, name).data for name in self.FILTERS
                if getattr(self, name).data}


class TaskFilterForm(Form):
    class Meta:
        csrf = False

    type = SelectField(_l("Task type"), choices=_choices(TASK_LABELS, _l("All")),
                       validators=[Optional()])
    due = SelectField(_l("Due"), validators=[Optional()], choices=[
        ("", _l("Any date")), ("overdue", _l("Overdue")), ("today", _l("Due today or earlier")),
        ("week", _l("Due within a week"))])
    state = SelectField(_l("State"), validators=[Optional()], choices=[
        ("OPEN", _l("Open")), ("DONE", _l("Processed")),
        ("ALL", lazy_pgettext("all tasks", "All"))])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class ProcessTaskForm(Form):
    note = TextAreaField(_l("Note"), validators=[InputRequired(), Length(max=1000)])


class BatchUploadForm(Form):
    file = FileField(_l("Batch file (XML)"),
                     validators=[FileRequired(_l("Choose the XML file to send."))],
                     description=_l("One batch per file, UTF-8, as described by the batch "
                                    "schema."),
                     render_kw={"accept": ".xml,application/xml,text/xml"})
