"""Forms of the local-manager console (labels translated lazily)."""
from email_validator import EmailNotValidError, validate_email
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from stts.forms import Form, identifier
from stts.i18n import LANGUAGE_NAMES
from stts.i18n import lazy_gettext as _l
from stts.identifiers import clean_national_number
from stts.labels import APPLICATION_LABELS, PROFILE_LABELS


def email_address(form, field):
    """A syntactically valid address (reserved test domains such as .invalid are allowed:
    demo installs use them); stored normalised."""
    if not field.data:
        return
    try:
        result = validate_email(field.data.strip(), check_deliverability=False,
                                globally_deliverable=False)
    except EmailNotValidError:
        raise ValidationError(str(_l("Enter a valid e-mail address."))) from None
    field.data = result.normalized


# Choices are lists of lazy labels, translated when shown: a callable would be called, and
# its signature inspected by WTForms, each time a field is validated or rendered.
_PROFILE_CHOICES = [("", _l("No profile"))] + [(code, PROFILE_LABELS[code])
                                               for code in ("STTS1", "STTS2", "STTS3")]


_national_number = identifier(clean_national_number)


class GrantsMixin:
    app_web = BooleanField(_l("STTS web application"))
    app_xml = BooleanField(_l("XML sending (structured messages)"))
    profile = SelectField(
        _l("STTS profile"), choices=_PROFILE_CHOICES, default="",
        description=_l("Exactly one profile when the web application is granted."))

    def applications(self):
        apps = []
        if self.app_web.data:
            apps.append("STTS_WEB")
        if self.app_xml.data:
            apps.append("STTS_XML")
        return apps


class CreateUserForm(GrantsMixin, Form):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(min=3, max=64),
                    Regexp(r"^[a-z0-9._-]+$",
                           message=_l("Use lowercase letters, digits, '.', '_' or '-'."))],
        description=_l("3 to 64 characters: a-z, 0-9, '.', '_', '-'. It can never be changed "
                       "afterwards, and a username is never given out again after deletion."),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    username_confirm = StringField(
        _l("Username again"),
        validators=[InputRequired(), EqualTo("username", message=_l(
            "The two usernames are not the same."))],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    last_name = StringField(_l("Last name"), validators=[InputRequired(), Length(max=100)],
                            render_kw={"autocomplete": "off"})
    first_name = StringField(_l("First name"), validators=[InputRequired(), Length(max=100)],
                             render_kw={"autocomplete": "off"})
    national_number = StringField(
        _l("National register number"),
        validators=[InputRequired(), Length(max=20), _national_number],
        description=_l("11 digits, for example 85.07.30-033.28."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"})
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), email_address])
    language = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()), default="fr")


class EditUserForm(GrantsMixin, Form):
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), email_address])
    version = HiddenField()


class OwnDataForm(Form):
    email = EmailField(_l("Your e-mail"), validators=[Optional(), Length(max=254), email_address])
    company_email = EmailField(_l("The company's e-mail"),
                               validators=[Optional(), Length(max=254), email_address])
    language = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()))
    version = HiddenField()
    company_version = HiddenField()


_BLOCKED_CHOICES = [("", _l("Blocked or not")), ("yes", _l("Blocked")), ("no", _l("Not blocked"))]
_APPLICATION_CHOICES = [("", _l("Any application")), *APPLICATION_LABELS.items(),
                        ("none", _l("No application"))]
_SORT_CHOICES = [("name", _l("Name")), ("username", _l("Username")),
                 ("last_login", _l("Last login"))]


class UserSearchForm(Form):
    """GET form: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    last_name = StringField(_l("Last name starts with"), validators=[Length(max=100)],
                            render_kw={"type": "search", "autocomplete": "off"})
    first_name = StringField(_l("First name starts with"), validators=[Length(max=100)],
                             render_kw={"type": "search", "autocomplete": "off"})
    national_number = StringField(
        _l("National register number (exact)"),
        validators=[Optional(), Length(max=20), _national_number],
        render_kw={"type": "search", "autocomplete": "off", "inputmode": "numeric"})
    blocked = SelectField(_l("Blocked state"), choices=_BLOCKED_CHOICES, default="")
    application = SelectField(_l("Application"), choices=_APPLICATION_CHOICES, default="")
    complement = BooleanField(_l("Complementary search: list the users who do NOT match"))
    sort = SelectField(_l("Sort by"), choices=_SORT_CHOICES, default="name")
    order = SelectField(_l("Order"), choices=[("asc", _l("Ascending")),
                                               ("desc", _l("Descending"))], default="asc")


class BulkForm(Form):
    action = SelectField(_l("Action"), choices=[("block", _l("Block")),
                                                 ("unblock", _l("Unblock"))])
    confirm = HiddenField()


class XmlSettingsForm(Form):
    enabled = BooleanField(_l("Enable XML sending for the company"))
    result_email = EmailField(
        _l("Address that receives batch results"),
        validators=[Optional(), Length(max=254), email_address])
    version = HiddenField()


class TechnicalAccountForm(Form):
    name = StringField(_l("Name of the technical account"),
                       validators=[InputRequired(), Length(max=100)],
                       render_kw={"autocomplete": "off"})


class ActivityForm(Form):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], default="", validate_choice=False)
    actor = StringField(_l("Done by (username)"), validators=[Length(max=64)],
                        render_kw={"type": "search", "autocomplete": "off"})
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
