"""Languages: the user's choice, then the cookie, then Accept-Language, then French."""
from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app, has_request_context, request
from flask_babel import Babel, format_datetime, get_locale, get_timezone, refresh
from flask_login import current_user

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
    # The locale is chosen per request, even when an application context spans several.
    app.before_request(refresh)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else ""
    )


def format_day(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date, or the local day of a stored (UTC) datetime, written the way of the request's
    language. Lists show the same few days on every row: each (day, format, locale) is
    formatted once per process."""
    if not value:
        return ""
    locale, zone = _day_settings()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(zone).date()
    return _formatted_day(value, fmt, locale)


def _day_settings():
    """The request's locale and time zone, looked up once per request (a list has a date on
    every row, and each lookup goes through several context proxies)."""
    if not has_request_context():
        return str(get_locale()), _zone(str(get_timezone()))
    settings = getattr(request, "stts_day_settings", None)
    if settings is None:
        settings = request.stts_day_settings = (str(get_locale()), _zone(str(get_timezone())))
    return settings


@functools.cache
def _zone(name: str) -> ZoneInfo:
    # The standard library's zone converts in C; flask-babel's pytz zone is ten times slower.
    return ZoneInfo(name)


@functools.lru_cache(maxsize=8192)
def _formatted_day(day: date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(day, fmt, locale=locale)
