"""Forms of the access-request wizard and of the request follow-up."""
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from stts import identifiers
from stts.forms import CHOOSE, Form, identifier
from stts.i18n import LANGUAGE_NAMES
from stts.i18n import lazy_gettext as _l

CATEGORY_CHOICES = [
    ("no_staff", _l("You employ no staff")),
    ("onss_employer", _l("You are an ONSS employer")),
    ("service_provider", _l("You are a service provider (legal person)")),
]
MANAGER_QUALITY_CHOICES = [
    ("worker", _l("Worker")),
    ("director", _l("Director")),
    ("manager", _l("Manager")),
    ("partner", _l("Partner")),
]
SIGNER_QUALITY_CHOICES = MANAGER_QUALITY_CHOICES[1:]
YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


def _checked(cleaner):
    """Validate an identifier but keep what the person typed: the wizard shows it again and
    the step's ``cleaned()`` keeps the compact form."""
    return identifier(cleaner, replace=False)


def _choice_required(form, field):
    """A required choice: one of the real options. The labelled "Choose..." option (an
    empty value) is the prompt, never an answer."""
    if not field.data or field.data not in {value for value, _label in field.choices if value}:
        raise ValidationError(_l("Choose one of the options."))


class StepForm(Form):
    """A wizard step: ``cleaned()`` gives the compact values the draft keeps."""

    def _text_fields(self):
        return [(name, field) for name, field in self._fields.items()
                if name != "csrf_token" and field.type in ("StringField", "EmailField",
                                                             "SelectField")]

    def cleaned(self) -> dict:
        return {name: (field.data or "").strip() for name, field in self._text_fields()}

    def raw(self) -> dict:
        return {name: (field.data or "")[:300] for name, field in self._text_fields()}


class CategoryForm(StepForm):
    category = SelectField(_l("Your company"), choices=[("", CHOOSE)] + CATEGORY_CHOICES,
                           validators=[_choice_required])


class CompanyForm(StepForm):
    enterprise_number = StringField(
        _l("Enterprise number (BCE/KBO)"),
        validators=[Optional(), Length(max=20), _checked(identifiers.clean_enterprise_number)],
        description=_l("10 digits, for example 0403.019.261. Give this number or the ONSS number."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    onss_number = StringField(
        _l("ONSS employer number"),
        validators=[Optional(), Length(max=20), _checked(identifiers.clean_onss_number)],
        description=_l("9 digits. Needed only when you do not give the enterprise number."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    company_name = StringField(
        _l("Company name"), validators=[Optional(), Length(max=200)],
        description=_l("Needed when the company is not known to STTS yet."),
        render_kw={"autocomplete": "organization"})

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not (self.enterprise_number.data or "").strip() and not (
                self.onss_number.data or "").strip():
            self.enterprise_number.errors.append(
                _l("Give the enterprise number or the ONSS number."))
            return False
        return ok

    def cleaned(self) -> dict:
        data = super().cleaned()
        if data["enterprise_number"]:
            data["enterprise_number"] = identifiers.clean_enterprise_number(
                data["enterprise_number"])
        if data["onss_number"]:
            data["onss_number"] = identifiers.clean_onss_number(data["onss_number"])
        return data


class _PersonForm(StepForm):
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    national_number = StringField(
        _l("National register number"),
        validators=[DataRequired(), Length(max=20),
                    _checked(identifiers.clean_national_number)],
        description=_l("11 digits, on the back of the identity card: 85.07.30-033.28."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    email = EmailField(_l("E-mail"),
                       validators=[DataRequired(), Length(max=254),
                                   Email(message=_l("Enter a valid e-mail address."))],
                       render_kw={"autocomplete": "email"})
    phone = StringField(_l("Phone"),
                        validators=[DataRequired(), Length(max=30),
                                    _checked(identifiers.clean_phone_number)],
                        description=_l("A Belgian number, for example +32 2 226 88 88."),
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})

    def cleaned(self) -> dict:
        data = super().cleaned()
        data["national_number"] = identifiers.clean_national_number(data["national_number"])
        data["phone"] = identifiers.clean_phone_number(data["phone"])
        data["email"] = data["email"].lower()
        return data


class ManagerForm(_PersonForm):
    quality = SelectField(_l("Quality"), choices=[("", CHOOSE)] + MANAGER_QUALITY_CHOICES,
                          validators=[_choice_required])
    language = SelectField(_l("Language of the e-mails"), choices=list(LANGUAGE_NAMES.items()),
                           validators=[_choice_required])


class SignerForm(_PersonForm):
    quality = SelectField(_l("Quality"), choices=[("", CHOOSE)] + SIGNER_QUALITY_CHOICES,
                          validators=[_choice_required])
    active = SelectField(
        _l("Is the signer active in the company?"),
        choices=[("", CHOOSE)] + YES_NO, validators=[_choice_required],
        description=_l("If not, attach a copy of the publication in the annexes of the "
                       "Belgian Official Gazette proving the quality."))
    gazette = FileField(_l("Copy of the Official Gazette publication (PDF)"),
                        render_kw={"accept": "application/pdf,.pdf"})


class ReplaceForm(StepForm):
    replace = SelectField(
        _l("Replace the current local manager?"), choices=[("", CHOOSE)] + YES_NO,
        validators=[_choice_required],
        description=_l("The company already has a local manager. A company has only one: "
                       "if you answer yes, the current one loses the rights when the request "
                       "is approved."))


class ConfirmForm(Form):
    confirm = BooleanField(_l("I confirm that these data are correct."),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])


class FollowForm(Form):
    ticket = StringField(_l("Ticket number"), validators=[DataRequired(), Length(max=40)],
                         description=_l("As shown when the request was saved: "
                                        "XXXX-XXXX-XXXX-XXXX."),
                         render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    enterprise_number = StringField(
        _l("Enterprise number (BCE/KBO)"),
        validators=[DataRequired(), Length(max=20),
                    _checked(identifiers.clean_enterprise_number)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


STEP_FORMS = {
    "category": CategoryForm,
    "company": CompanyForm,
    "manager": ManagerForm,
    "signer": SignerForm,
    "replace": ReplaceForm,
}
