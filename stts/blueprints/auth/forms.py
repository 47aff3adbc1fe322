from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from stts.forms import Form
from stts.i18n import LANGUAGE_NAMES


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
