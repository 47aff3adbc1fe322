from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from stts.forms import Form
from stts.i18n import LANGUAGE_NAMES
from stts.i18n import lazy_gettext as _l


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(max=1024)],
        description=_l("12 to 128 characters. A sentence of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("New password again"), validators=[InputRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"})


class LanguageForm(Form):
    language = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()))
    next = HiddenField()


class FirstLoginForm(Form):
    username = StringField(
        _l("Username"), validators=[InputRequired(), Length(max=64)],
        description=_l("3 to 64 characters: lower-case letters a-z, digits and . _ - "
                       "It can never be changed afterwards."),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    username_confirm = StringField(
        _l("Username again"), validators=[InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(max=1024)],
        description=_l("12 to 128 characters. A sentence of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"})
    password_confirm = PasswordField(
        _l("Password again"), validators=[InputRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"})
    national_number = StringField(
        _l("Your national register number"), validators=[InputRequired(), Length(max=20)],
        description=_l("As given in the access request, to confirm it is you."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
