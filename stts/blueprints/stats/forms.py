"""The dashboards' filters: GET forms whose values stay in the URL."""
import re
from datetime import date

from wtforms import Form, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from stts.i18n import lazy_gettext as _l
from stts.labels import ALL_CATEGORIES, CATEGORY_LABELS, SERVICE_LABELS

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_ATTRS = {"type": "month", "placeholder": "2026-01", "inputmode": "numeric",
               "pattern": r"\d{4}-\d{2}"}


def parse_month(text) -> date | None:
    """A YYYY-MM value as the first day of that month (None when it is not one)."""
    match = MONTH.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _month(form, field):
    if field.data and parse_month(field.data) is None:
        raise ValidationError(_l("Give a month as year-month, e.g. 2026-01."))


class StatsFilterForm(Form):
    class Meta:
        csrf = False

    start = StringField(_l("From (month)"), validators=[Optional(), _month],
                        render_kw=MONTH_ATTRS)
    end = StringField(_l("To (month)"), validators=[Optional(), _month], render_kw=MONTH_ATTRS)
    category = SelectField(_l("Category"), validators=[Optional()],
                           choices=[("", ALL_CATEGORIES)] + list(CATEGORY_LABELS.items()))
    service = SelectField(_l("Service"), validators=[Optional()],
                          choices=[("", _l("All"))] + list(SERVICE_LABELS.items()))
    operator = SelectField(_l("Operator"), validators=[Optional()], coerce=str,
                           validate_choice=False)


class YearlyForm(Form):
    class Meta:
        csrf = False

    month = StringField(_l("Beneficiaries at the end of (month)"),
                        validators=[Optional(), _month], render_kw=MONTH_ATTRS)
    service = SelectField(_l("Service"), validators=[Optional()],
                          choices=[("", _l("All"))] + list(SERVICE_LABELS.items()))
