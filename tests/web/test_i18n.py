"""Locale order: the user's choice, the cookie, Accept-Language, then French."""
import pytest

from stts.models import User
from tests.conftest import login


@pytest.fixture
def client(client):
    client.accept_language = None
    User.update(language="fr").execute()
    return client


def lang(response):
    import re

    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


def test_default_is_french(client):
    assert lang(client.get("/login")) == "fr"


def test_accept_language(client):
    assert lang(client.get("/login", headers={"Accept-Language": "de-BE,de;q=0.9"})) == "de"
    assert lang(client.get("/login", headers={"Accept-Language": "es"})) == "fr"


def test_cookie_beats_accept_language(client):
    client.set_cookie("stts_lang", "nl")
    assert lang(client.get("/login", headers={"Accept-Language": "de"})) == "nl"


def test_user_choice_beats_cookie(client):
    User.update(language="de").where(User.username == "stts1.alpha").execute()
    client.set_cookie("stts_lang", "nl")
    login(client, "stts1.alpha")
    assert lang(client.get("/home")) == "de"


def test_switcher_saves_the_choice_for_the_user(client):
    login(client, "stts1.alpha")
    response = client.post("/language", data={"language": "en", "next": "/home"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert User.get(User.username == "stts1.alpha").language == "en"
    assert lang(client.get("/home")) == "en"


def test_switcher_for_visitors_sets_a_cookie(client):
    response = client.post("/language", data={"language": "nl", "next": "/login"})
    assert "stts_lang=nl" in response.headers["Set-Cookie"]
    assert lang(client.get("/login")) == "nl"


def test_switcher_ignores_unknown_languages_and_foreign_targets(client):
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "stts_lang" not in response.headers.get("Set-Cookie", "")


def test_french_page_is_french(client):
    body = client.get("/login").get_data(as_text=True)
    assert "Nom d'utilisateur" in body or "Nom d&#39;utilisateur" in body


@pytest.mark.parametrize(("language", "message"), [
    ("de", "Dieses Feld wird benötigt."), ("nl", "Dit veld is vereist."),
    ("fr", "Ce champ est requis."), ("en", "This field is required.")])
def test_wtforms_own_messages_follow_the_language(app, language, message):
    """Every form's built-in messages come from WTForms' catalogue in the request's language,
    loaded once per language and process."""
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from stts.forms import Form, _wtforms_translations

    class NameForm(Form):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired()])

    for _ in range(2):
        with app.test_request_context("/", method="POST", data={"name": ""},
                                      headers={"Accept-Language": language}):
            form = NameForm()
            assert not form.validate()
            assert form.name.errors == [message]
    assert _wtforms_translations.cache_info().currsize <= 4
    assert _wtforms_translations.cache_info().hits >= 1


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "01/01/2027"), ("nl", "01/01/2027"), ("de", "01.01.2027"), ("en", "01/01/2027")])
def test_dates_are_the_brussels_day_in_the_request_language(app, language, expected):
    """A stored UTC time late on 31 December is already 1 January in Brussels."""
    from datetime import date, datetime

    from stts.i18n import format_day

    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert format_day(datetime(2026, 12, 31, 23, 30)) == expected
        assert format_day(date(2027, 1, 1)) == expected
        assert format_day(None) == ""


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "01/01/2027 00:30"), ("nl", "01/01/2027, 00:30"), ("de", "01.01.2027, 00:30"),
    ("en", "01/01/2027, 00:30")])
def test_date_times_are_brussels_time_with_four_digit_years(app, language, expected):
    from datetime import datetime

    from stts.i18n import format_moment

    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert format_moment(datetime(2026, 12, 31, 23, 30)) == expected
        assert format_moment(datetime(2026, 7, 1, 10, 0), "de_BE") == "01.07.2026, 12:00"
        assert format_moment(None) == ""


def test_label_tables_are_translated_once_per_language(app):
    from flask_babel import refresh

    from stts.labels import _translated_tables, label_context

    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        refresh()  # as before every request: the test's application context spans several
        dutch = label_context()
        assert dutch["STATE_LABELS"]["ACTIVE"] == "Actief"
        assert dutch["CATEGORY_LABELS"]["SOMETHING_NEW"] == "SOMETHING_NEW"  # shown as is
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        refresh()
        assert label_context()["STATE_LABELS"]["ACTIVE"] != "Actief"
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        refresh()
        assert label_context() is dutch
    assert _translated_tables.cache_info().currsize <= 4


def test_templates_follow_a_forced_locale_inside_a_request(app):
    """A mail rendered in the recipient's language in the middle of a French request: the
    templates' once-per-request catalogue and date settings follow force_locale both ways."""
    from datetime import date

    from flask import render_template_string
    from flask_babel import force_locale, refresh

    page = '{{ _("Active") }} {{ day|date }}'
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        refresh()
        assert render_template_string(page, day=date(2027, 1, 1)) == "Actif 01/01/2027"
        with force_locale("de"):
            assert render_template_string(page, day=date(2027, 1, 1)) == "Aktiv 01.01.2027"
        assert render_template_string(page, day=date(2027, 1, 1)) == "Actif 01/01/2027"


@pytest.mark.parametrize(("language", "banner"), [
    ("fr", "Veuillez corriger les champs indiqués ci-dessous."),
    ("nl", "Verbeter de hieronder aangeduide velden."),
    ("de", "Bitte korrigieren Sie die unten markierten Felder.")])
def test_form_error_banner_is_in_the_users_language(client, language, banner):
    """The banner lives in a `_`-prefixed template folder that the extractor used to skip."""
    User.update(language=language).where(User.username == "stts1.alpha").execute()
    login(client, "stts1.alpha")
    response = client.post("/desk/request", data={"national_number": "52110314562",
                                                  "category": "AGE65"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert banner in body
    assert "Please correct the fields marked below." not in body


@pytest.mark.parametrize(("language", "reason"), [
    ("fr", "contrôle automatique\u00a0: ayant droit"),
    ("nl", "automatische controle: rechthebbend"),
    ("de", "automatische Prüfung: anspruchsberechtigt")])
def test_automatic_decision_reason_is_shown_in_the_readers_language(client, language, reason):
    """The reason is stored as a code (whoever requested the dossier, in whatever language)
    and each reader sees it in their own."""
    from stts.demo_dossiers import DEMO
    from stts.models import Dossier
    from stts.models.dossiers import CATEGORIES

    login(client, "stts1.alpha")  # French
    response = client.post("/desk/request", data={
        "national_number": DEMO["eligible"], "category": CATEGORIES[10 % len(CATEGORIES)],
        "service": "MOBILE", "phone_number": "0470 12 34 56", "customer_number": "C-1",
        "tariff_formula": "Social mobile"})
    assert response.status_code == 303
    dossier = Dossier.select().order_by(Dossier.id.desc()).first()
    assert dossier.decision_reason == "AUTO_ELIGIBLE"
    User.update(language=language).where(User.username == "stts1.alpha").execute()
    body = client.get(f"/desk/dossiers/{dossier.id}").get_data(as_text=True)
    assert reason in body and "automatic check" not in body


def test_audit_trail_shows_labels_not_codes(client):
    User.update(language="nl").where(User.username == "auditor.bipt").execute()
    login(client, "auditor.bipt")
    body = client.get("/backoffice/audit").get_data(as_text=True)
    assert ">Aanmelding<" in body  # auth.login
    assert ">auth.login<" not in body and ">ok<" not in body


def test_templates_translate_through_the_per_request_catalogue(app, monkeypatch):
    """The cached path of stts/i18n.py as it runs in production: a template's messages are
    translated through one catalogue lookup per request and locale; ``force_locale`` (a mail
    in the recipient's language) and ``refresh`` (a new locale) are seen at once."""
    from flask import render_template_string
    from flask_babel import Domain, force_locale, refresh

    from stts import i18n

    lookups = []
    real = Domain.get_translations

    def counted(domain):
        lookups.append(1)
        return real(domain)
    monkeypatch.setattr(Domain, "get_translations", counted)
    chosen = []
    real_locale = i18n.get_locale
    monkeypatch.setattr(i18n, "get_locale", lambda: chosen.append(1) or real_locale())
    template = "{% for i in range(50) %}{{ _('Cancel') }}|{% endfor %}"
    app.config["TESTING"] = False
    try:
        with app.test_request_context(headers={"Accept-Language": "fr"}):
            french = render_template_string(template)
            assert french.split("|")[0] == "Annuler" and len(lookups) == 1
            assert len(chosen) <= 1, "the locale was looked up again for each message"
            with force_locale("nl_BE"):
                assert render_template_string("{{ _('Cancel') }}") == "Annuleren"
            assert render_template_string("{{ _('Cancel') }}") == "Annuler"
            assert len(lookups) == 3
            with force_locale("de_BE"):
                assert render_template_string("{{ _('Cancel') }}") == "Abbrechen"
            refresh()
            assert render_template_string("{{ _('Cancel') }}") == "Annuler"
            assert len(lookups) == 5
    finally:
        app.config["TESTING"] = True


def test_dates_are_formatted_for_the_current_locale_once(app):
    """The request's locale and zone are found once per request and locale (kept on ``g``),
    ``force_locale`` is seen at once, and each (day, locale) is formatted once."""
    from datetime import date, datetime

    from flask_babel import force_locale

    from stts.i18n import _formatted_day, format_day

    with app.test_request_context(headers={"Accept-Language": "nl"}):
        _formatted_day.cache_clear()
        dutch = format_day(date(2026, 11, 27))
        assert "2026" in dutch
        with force_locale("de_BE"):
            assert "2026" in format_day(date(2026, 11, 27))
        assert format_day(date(2026, 11, 27)) == dutch
        assert _formatted_day.cache_info().misses == 2  # nl, de
        # 23:30 UTC is the next day in Brussels.
        assert format_day(datetime(2026, 11, 27, 23, 30)) == format_day(date(2026, 11, 28))
        for _ in range(100):
            format_day(date(2026, 11, 27))
        assert _formatted_day.cache_info().hits >= 100


def test_python_messages_and_lazy_labels_use_the_per_request_catalogue(app, monkeypatch):
    """flask-babel's own ``gettext`` and the lazy labels (choices, form labels, label
    tables) find the catalogue once per request and locale too, and follow
    ``force_locale`` both ways."""
    import flask_babel
    from flask_babel import Domain, force_locale, gettext

    from stts.i18n import lazy_gettext

    lookups = []
    domains = []
    real_get_domain = flask_babel.get_domain
    monkeypatch.setattr(flask_babel, "get_domain",
                        lambda: domains.append(1) or real_get_domain())
    real = Domain.get_translations
    monkeypatch.setattr(Domain, "get_translations",
                        lambda self: lookups.append(1) or real(self))
    label = lazy_gettext("Cancel")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        labels = [str(label) for _ in range(20)]
        assert labels == ["Annuler"] * 20 and len(lookups) == 1
        assert domains == [], "a lazy label found its domain through flask-babel's proxies"
        said = [(gettext("Cancel"), str(label)) for _ in range(20)]
        assert said == [("Annuler", "Annuler")] * 20 and len(lookups) == 1
        with force_locale("nl_BE"):
            assert (gettext("Cancel"), str(label)) == ("Annuleren", "Annuleren")
        assert (gettext("Cancel"), str(label)) == ("Annuler", "Annuler")
        assert len(lookups) == 3


def test_the_app_translates_python_messages_the_way_flask_babel_does(app):
    """``stts.i18n``'s gettext, ngettext, pgettext and lazy labels give, for every message
    of the catalogue in the four languages, what flask-babel's functions give."""
    import re

    import flask_babel
    from babel.messages.pofile import read_po
    from flask_babel import force_locale

    from stts import i18n

    with open("translations/messages.pot", "rb") as source:
        catalogue = read_po(source)
    messages = [message for message in catalogue if message.id]
    assert len(messages) > 300

    def values(message):  # every placeholder of the message, with a number (fits %s and %d)
        texts = message.id if isinstance(message.id, tuple) else (message.id,)
        return {name: 7 for text in texts for name in re.findall(r"%\((\w+)\)", text)
                if name != "num"}

    with app.test_request_context():
        for language in ("fr", "nl", "de", "en"):
            with force_locale(f"{language}_BE"):
                for message in messages:
                    given = values(message)
                    if isinstance(message.id, tuple):
                        singular, plural = message.id
                        for num in (1, 2, 5):
                            assert i18n.ngettext(singular, plural, num, **given) == \
                                flask_babel.ngettext(singular, plural, num, **given)
                    elif message.context:
                        ours = i18n.lazy_pgettext(message.context, message.id, **given)
                        assert str(ours) == flask_babel.pgettext(message.context, message.id,
                                                                 **given)
                    else:
                        theirs = flask_babel.gettext(message.id, **given)
                        assert i18n.gettext(message.id, **given) == theirs
                        assert str(i18n.lazy_gettext(message.id, **given)) == theirs


def test_python_code_translates_through_one_set_of_functions():
    """Python modules translate through ``stts.i18n`` (the per-request catalogue), never
    through flask-babel's message functions, which find the domain again for each one."""
    import pathlib
    import re

    offenders = []
    pattern = re.compile(r"from flask_babel import [^\n]*\b(n?p?gettext|lazy_\w+)\b")
    for path in pathlib.Path("stts").rglob("*.py"):
        if path.name != "i18n.py" and pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path))
    assert offenders == []


def test_messages_outside_an_application_are_left_as_written():
    """A message raised where no application exists (a script reading a batch) is its own
    text, as with flask-babel's functions, instead of an error."""
    import subprocess
    import sys

    code = ("from stts.i18n import gettext, lazy_gettext, ngettext\n"
            "print(gettext('Cancel'), str(lazy_gettext('Save')), "
            "ngettext('%(num)d user changed.', '%(num)d users changed.', 2))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "Cancel Save 2 users changed."


@pytest.mark.parametrize(("language", "categories", "states", "tasks"), [
    ("fr", "Toutes", "Tous", "Toutes"), ("nl", "Alle", "Alle", "Alle"),
    ("de", "Alle", "Alle", "Alle"), ("en", "All", "All", "All")])
def test_every_all_option_agrees_with_what_it_lists(app, language, categories, states, tasks):
    """French writes "all" in the gender of what the filter lists: "Toutes" (les catégories,
    les tâches), "Tous" (les états, les types, les opérateurs). Every select of the product
    whose first choice stands for "any" is checked, not one page."""
    from stts.blueprints.backoffice.forms import ReviewFilterForm
    from stts.blueprints.desk.forms import SearchForm, TaskFilterForm
    from stts.blueprints.stats.forms import StatsFilterForm

    def option(field, value=""):
        return str(dict(field.choices)[value])

    with app.test_request_context("/", headers={"Accept-Language": language}):
        search, inbox = SearchForm(), TaskFilterForm()
        assert option(search.category) == categories
        assert option(search.state) == states
        assert option(inbox.type) == states
        assert option(inbox.state, "ALL") == tasks
        assert option(StatsFilterForm().category) == categories
        assert option(StatsFilterForm().service) == states
        assert option(ReviewFilterForm().category) == categories


def test_the_templates_translation_calls_keep_jinjas_semantics(app):
    """The templates' _(), pgettext() and ngettext() are the app's own functions (one call
    each instead of Jinja's three): for messages of every kind (with "%%", markup-like
    text) and values that need escaping, in all four languages, in an HTML template and in
    one without autoescaping, they give what Jinja's newstyle gettext gives."""
    import random

    from flask_babel import force_locale
    from jinja2.ext import (
        _gettext_alias,
        _make_new_gettext,
        _make_new_ngettext,
        _make_new_npgettext,
        _make_new_pgettext,
    )

    from stts import i18n

    jinja = {"_": _gettext_alias, "gettext": _make_new_gettext(i18n.gettext),
             "pgettext": _make_new_pgettext(i18n.pgettext),
             "ngettext": _make_new_ngettext(
                 lambda s, p, n: i18n._translations().ungettext(s, p, n)),
             "npgettext": _make_new_npgettext(
                 lambda c, s, p, n: i18n._translations().unpgettext(c, s, p, n))}
    sources = [
        "{{ _('Home') }}", "{{ _('Open tasks: %(count)s', count=value) }}",
        "{{ _('100%% sure: %(x)s', x=value) }}", "{{ _('100%% sure') }}",
        "{{ _('<b>not a message</b> %(x)s', x=value) }}",
        "{{ pgettext('one task', 'Open') }}", "{{ pgettext('one task', 'Processed') }}",
        "{{ ngettext('%(num)s task', '%(num)s tasks', n) }}",
        "{{ ngettext('%(num)d user found.', '%(num)d users found.', n) }}",
        "{{ npgettext('tasks', '%(num)s task <b>%(x)s</b>', '%(num)s tasks', n, x=value) }}",
        "{{ _('Select %(username)s', username=value) }}",
    ]
    values = ['<script>alert("x")</script>', "A & B", "50 %", "l'opérateur", "plain"]
    randomly = random.Random(15)
    ours = {name: app.jinja_env.globals[name] for name in jinja}
    assert all(ours[name] is not jinja[name] for name in jinja)
    as_built = app.jinja_env.autoescape
    for autoescape in (True, False):
        app.jinja_env.autoescape = autoescape
        try:
            for language in ("fr", "nl", "de", "en"):
                with app.test_request_context(), force_locale(f"{language}_BE"):
                    for source in sources:
                        context = {"value": randomly.choice(values), "n": randomly.randint(0, 3)}
                        template = app.jinja_env.from_string(source)
                        mine = template.render(**context)
                        app.jinja_env.globals.update(jinja)
                        try:
                            theirs = app.jinja_env.from_string(source).render(**context)
                        finally:
                            app.jinja_env.globals.update(ours)
                        assert mine == theirs, (language, autoescape, source, context)
        finally:
            app.jinja_env.autoescape = as_built
