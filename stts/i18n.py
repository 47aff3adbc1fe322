"""Languages: the user's choice, then the cookie, then Accept-Language, then French."""
from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, support
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_request_context, request
from flask.globals import _cv_app  # the application context, without a proxy's cost
from flask_babel import (
    Babel,
    Domain,
    LazyString,
    get_locale,
    get_timezone,
    refresh,
)
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

babel = Babel()

LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


def select_locale() -> str:
    """The language, as its Belgian locale: dates and numbers are written the Belgian way
    (27/11/2026), while the catalogue is the language's own (fr_BE falls back to fr)."""
    return f"{_select_language()}_BE"


def current_language() -> str:
    """The two-letter language of the current request (for lang attributes and choices)."""
    return get_locale().language


def _select_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    cookie = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def init_app(app) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/../translations")
    )
    babel.init_app(app, locale_selector=select_locale)
    babel.domain_instance = _RequestDomain(domain=app.extensions["babel"].default_domain)
    # The locale is chosen per request, even when an application context spans several.
    app.before_request(refresh)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters["date"] = format_day
    # Templates translate through the request's catalogue, found once per request and locale
    # (flask-babel's own callables look it up again for every message), each call one
    # function with Jinja's newstyle semantics (flask-babel turned them on): Jinja's own
    # callables pass every message through its alias of ``_``, its wrapper and the context's
    # call machinery three times, and a page shows thirty to a hundred messages.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 pgettext=_template_pgettext, ngettext=_template_ngettext,
                                 npgettext=_template_npgettext)
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["money"] = format_money


# One date and one date-time format per language, everywhere (pages, CSV, mails): the
# language's short CLDR pattern with a four-digit year and two-digit days, in Brussels time.
@functools.cache
def patterns(locale: str) -> tuple[str, str]:
    """(date pattern, date-time pattern) of a locale, e.g. fr_BE: dd/MM/yyyy, dd/MM/yyyy HH:mm."""
    known = Locale.parse(locale)
    day = re.sub(r"y+", "yyyy", known.date_formats["short"].pattern)
    day = re.sub(r"(?<!d)d(?!d)", "dd", day)
    day = re.sub(r"(?<!M)M(?!M)", "MM", day)
    time = known.time_formats["short"].pattern
    return day, known.datetime_formats["short"].replace("{1}", day).replace("{0}", time)


def format_day(value: date | datetime | None, locale: str | None = None) -> str:
    """A date, or the local day of a stored (UTC) datetime, written the way of the request's
    language (or of ``locale``). Lists show the same few days on every row: each (day,
    locale) is formatted once per process."""
    if not value:
        return ""
    locale, zone = _settings(locale)
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    return _formatted_day(value, locale)


def format_moment(value: datetime | None, locale: str | None = None) -> str:
    """A stored (UTC) datetime as the Brussels date and time, in the request's language (or
    ``locale``)."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return format_day(value, locale)
    locale, zone = _settings(locale)
    local = _local(value, zone)
    return _formatted_moment(local.replace(tzinfo=None, microsecond=0), locale)


def format_money(amount, locale: str | None = None) -> str:
    """An amount in euros the way of the language: 12,50 € (fr, de), € 12,50 (nl)."""
    if amount is None:
        return ""
    return babel_numbers.format_currency(amount, "EUR", locale=_settings(locale)[0])


def _local(value: datetime, zone) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def _settings(locale: str | None):
    if locale is None:
        return _day_settings()
    return str(locale), _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _day_settings():
    return per_locale("day_settings",
                       lambda locale: (str(locale), _zone(str(get_timezone()))))


# The messages of Python code. flask-babel's functions of the same names find the domain
# through several context proxies for every message; a form's labels and a select's choices
# are lazy and are translated each time a page shows them. These read the request's
# catalogue directly (``_translations``), with flask-babel's semantics.
def gettext(string: str, **variables) -> str:
    text = _translations().ugettext(string)
    return text % variables if variables else text


def pgettext(context: str, string: str, **variables) -> str:
    text = _translations().upgettext(context, string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def _as_template_text(eval_ctx, text: str, variables: dict):
    # As Jinja's newstyle gettext: in an HTML template the translation is markup (the
    # values put into it are escaped), and it is always a format string ("%%" is "%").
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704 (the catalogue is ours, as in Jinja)
    return text % variables


@pass_eval_context
def _template_gettext(eval_ctx, string: str, /, **variables):
    return _as_template_text(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def _template_pgettext(eval_ctx, context: str, string: str, /, **variables):
    return _as_template_text(eval_ctx, _translations().upgettext(context, string), variables)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables):
    variables.setdefault("num", num)
    return _as_template_text(eval_ctx, _translations().ungettext(singular, plural, num),
                             variables)


@pass_eval_context
def _template_npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, /,
                        **variables):
    variables.setdefault("num", num)
    return _as_template_text(
        eval_ctx, _translations().unpgettext(context, singular, plural, num), variables)


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyString:
    return LazyString(pgettext, context, string, **variables)


def _translations():
    """The request's catalogue, for every message (templates, Python code, lazy labels):
    straight from the domain, without ``get_domain``'s context proxies. Outside an
    application context (a script, a message raised before the app exists) messages stay
    as written, as flask-babel's."""
    if _cv_app.get(None) is None:
        return _UNTRANSLATED
    return babel.domain_instance.get_translations()


_UNTRANSLATED = support.NullTranslations()


class _RequestDomain(Domain):
    """flask-babel's message domain, whose catalogue is found once per request and locale
    (the one cache of it: templates, flask-babel's ``gettext`` in Python code, and every
    lazy label, form label and choice a page shows). flask-babel looked it up again for
    every message, through several context proxies and the locale's name built again."""

    def get_translations(self):
        return per_locale("translations", lambda locale: Domain.get_translations(self))


def per_locale(name: str, build):
    """``build(locale)`` once per request and locale, kept on ``g``. flask-babel's lookups
    cross several context proxies on every call, and a list calls them for every row.
    flask-babel keeps the locale on its namespace of ``g`` until it changes (``force_locale``
    swaps it for a mail in the recipient's language, ``refresh`` drops it), so the kept
    value is used only while its locale is the one found there."""
    app_context = _cv_app.get(None)
    if app_context is None:  # outside an application context
        return build(None)
    kept = vars(app_context.g)
    locale = getattr(kept.get("_flask_babel"), "babel_locale", None)
    if locale is None:  # not chosen yet in this context: flask-babel chooses it
        locale = get_locale()
    key = f"stts_{name}"
    found = kept.get(key)
    if found is None or found[0] is not locale:
        found = kept[key] = (locale, build(locale))
    return found[1]


@functools.cache
def _babel_locale(name: str) -> Locale:
    # Babel parses a locale given by its name again on every call (a third of a date-time's
    # formatting; a list formats one per row).
    return Locale.parse(name)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    # The standard library's zone converts in C; flask-babel's pytz zone is ten times slower.
    return ZoneInfo(name)


@functools.lru_cache(maxsize=8192)
def _formatted_moment(local: datetime, locale: str) -> str:
    """A local (naive) moment written with the locale's date-time pattern: a list shown
    again formats its moments once per process, not once per row and view."""
    return babel_dates.format_datetime(local, patterns(locale)[1], locale=_babel_locale(locale))


@functools.lru_cache(maxsize=8192)
def _formatted_day(day: date, locale: str) -> str:
    return babel_dates.format_date(day, patterns(locale)[0], locale=locale)
