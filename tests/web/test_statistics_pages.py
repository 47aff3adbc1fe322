"""The dashboards over the test client: who may see what, filters in the URL, fragments for
htmx, the charts' accessibility and CSP rules, the yearly report's CSV and print page."""
import csv
import io
import re
from datetime import date

import pytest

from stts.models import Company, User
from stts.services.statistics import summary
from tests.conftest import HX, login, text_of

PAGES = ("/statistics/operator", "/statistics/mine", "/statistics/market",
         "/statistics/market/yearly", "/statistics/market/yearly.csv")
ACCESS = {
    # username: the pages (of PAGES) that answer 200; the others 403
    "lm.alpha": {"/statistics/operator", "/statistics/mine"},  # a local manager has STTS 3
    "stts3.alpha": {"/statistics/operator", "/statistics/mine"},
    "stts2.alpha": {"/statistics/mine"},
    "stts1.beta": {"/statistics/mine"},
    "handler.bipt": {"/statistics/market", "/statistics/market/yearly",
                     "/statistics/market/yearly.csv"},
    "auditor.bipt": {"/statistics/market", "/statistics/market/yearly",
                     "/statistics/market/yearly.csv"},
    "agent.bipt": set(),
}


@pytest.fixture
def built(app):
    summary.rebuild()
    return app


@pytest.mark.parametrize("username", sorted(ACCESS))
def test_each_role_sees_its_dashboards_only(built, client, username):
    login(client, username)
    for page in PAGES:
        status = client.get(page).status_code
        assert status == (200 if page in ACCESS[username] else 403), (username, page, status)
    home = client.get("/statistics/")
    assert home.status_code == (403 if username == "agent.bipt" else 302)


def test_anonymous_is_sent_to_the_login(built, client):
    for page in PAGES:
        assert client.get(page).status_code in (302, 401)


def test_operator_dashboard_shows_charts_with_summaries_and_tables(built, client):
    login(client, "lm.alpha")
    page = client.get("/statistics/operator?start=2024-01&end=2024-12")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for chart in ("states", "by-category", "by-service", "flows", "reasons", "waiting",
                  "tasks", "xml"):
        assert f'id="chart-{chart}"' in html, chart
    svgs = re.findall(r"<svg\b[^>]*>", html)
    # No review decision, cessation, open task at the end of 2024 nor XML batch in the demo:
    # those figures are a sentence and a table of zeros, without an empty drawing.
    assert len(svgs) == 4
    for tag in svgs:
        if "chart-svg" in tag:
            assert 'role="img"' in tag and "aria-labelledby=" in tag
    # Strict CSP: no style attribute, <style> element, script or event handler anywhere.
    assert not re.search(r"\sstyle=|<style|<script(?![^>]*\bsrc=)|\son[a-z]+=", html, re.I)
    # Alpha's 30 demo tariffs are active from February 2024 on.
    text = text_of(page)
    assert "At the end of December 2024: 30 active social tariffs (+30 since January 2024)" \
        in text
    assert "<details class=\"chart-data\">" in html


def test_filters_stay_in_the_url_and_htmx_gets_the_figures_only(built, client):
    login(client, "stts3.alpha")
    url = "/statistics/operator?start=2024-01&end=2024-06&category=AGE65&service=MOBILE"
    full = client.get(url)
    assert 'value="2024-01"' in full.get_data(as_text=True)
    assert 'hx-push-url="true"' in full.get_data(as_text=True)
    fragment = client.get(url, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="stats-figures"')
    assert "From January 2024 to June 2024." in text_of(fragment)
    assert "A batch holds every category and service" in text_of(fragment)


def test_bad_filters_are_refused_without_error(built, client):
    login(client, "lm.alpha")
    for query in ("start=2024-13", "end=abc", "category=NOPE", "start=1900-01",
                  "operator=99999", "start=2030-01&end=2020-01"):
        response = client.get(f"/statistics/operator?{query}")
        assert response.status_code == 200, query


def test_an_operator_cannot_see_another_operator(built, client):
    login(client, "lm.alpha")
    beta = Company.get(Company.id == User.get(User.username == "lm.beta").company_id)
    html = client.get(f"/statistics/operator?operator={beta.id}&start=2024-01&end=2024-12"
                      ).get_data(as_text=True)
    assert "30 active social tariffs" in html  # alpha's, not beta's 31


def test_market_dashboard_per_operator_and_whole(built, client):
    login(client, "handler.bipt")
    market = text_of(client.get("/statistics/market?start=2024-01&end=2024-12"))
    assert "At the end of December 2024: 81 active social tariffs" in market
    # The market compares the operators (Belcom Beta has 31 of the 81).
    assert "Active social tariffs by operator, end of December 2024" in market
    assert "81 in all; the largest: Belcom Beta (31)." in market
    beta = User.get(User.username == "lm.beta").company_id
    one = text_of(client.get(f"/statistics/market?start=2024-01&end=2024-12&operator={beta}"))
    assert "At the end of December 2024: 31 active social tariffs" in one


def test_yearly_report_page_print_and_csv(built, client):
    login(client, "auditor.bipt")
    page = text_of(client.get("/statistics/market/yearly?month=2024-12"))
    assert "Beneficiaries of the social tariff at the end of December 2024" in page
    assert "All operators" in page and "81" in page
    printable = client.get("/statistics/market/yearly?month=2024-12&print=1")
    assert "Download (CSV)" not in printable.get_data(as_text=True)
    csv = client.get("/statistics/market/yearly.csv?month=2024-12")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "Telco Alpha" in text and "81" in text.splitlines()[-1]


def test_dashboards_in_every_language(built, client):
    login(client, "lm.alpha")
    words = {"fr": "décembre 2024", "nl": "december 2024", "de": "Dezember 2024",
             "en": "December 2024"}
    for language, month in words.items():
        client.post("/language", data={"language": language, "next": "/"})
        html = text_of(client.get("/statistics/operator?start=2024-01&end=2024-12"))
        assert month in html, language
    assert date.today()  # the dates above are fixed: the demo's history is from 2024


def test_chart_text_is_escaped_and_carries_no_style(app):
    from stts import charts

    with app.test_request_context():
        svg = str(charts.bar_chart("x", [('<script>alert(1)</script>"', 3), ("B&B", 1)]))
        lines = str(charts.line_chart("y", [date(2025, 1, 1), date(2025, 2, 1)],
                                      [("<b>", [1, 2]), ("none", [None, None])]))
    for text in (svg, lines):
        assert "<script" not in text and "<b>" not in text and "style" not in text
    assert "&lt;script&gt;" in svg and "B&amp;B" in svg
    assert charts.bar_chart("z", [("a", 0)]) is None  # nothing to draw


@pytest.mark.parametrize("language, separator", [("fr", ";"), ("nl", ";"), ("de", ";"),
                                                 ("en", ",")])
def test_yearly_csv_opens_in_belgian_excel(built, client, language, separator):
    login(client, "handler.bipt")
    client.post("/language", data={"language": language, "next": "/"})
    raw = client.get("/statistics/market/yearly.csv?month=2024-12").get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=separator))
    assert len(rows[0]) == 8  # operator, six categories, total
    assert rows[-1][-1] == "81" and sum(int(n) for n in rows[-1][1:-1]) == 81
    if language == "fr":
        assert "Aveugle militaire de guerre" in rows[0]


@pytest.mark.parametrize("locale, figure, month", [
    ("fr_BE", "1\u202f234\u202f567", "mars 2026"), ("nl_BE", "1.234.567", "maart 2026"),
    ("de_BE", "1.234.567", "März 2026"), ("en_BE", "1.234.567", "March 2026")])
def test_numbers_and_months_the_belgian_way(app, locale, figure, month):
    from flask_babel import force_locale

    from stts import charts

    with app.test_request_context(), force_locale(locale):
        assert charts.number(1234567) == figure
        assert charts.number(None) == "–"
        assert charts.month_name(date(2026, 3, 1)) == month


def test_the_dashboard_says_which_months_were_corrected(app, client):
    from stts.demo_statistics import seed_statistics_history

    seed_statistics_history()
    summary.rebuild()
    login(client, "lm.alpha")
    page = client.get("/statistics/operator")
    text = text_of(page)
    assert page.status_code == 200
    assert "Figures of past months changed after the month had ended" in text
    assert re.search(r"[A-Z][a-z]+ \d{4}: \d+ actions? recorded in [A-Z][a-z]+ \d{4}", text)
    # Every figure of the demo history draws: waiting times, transfers, XML batches.
    html = page.get_data(as_text=True)
    for chart in ("waiting", "reasons", "xml"):
        assert f'aria-labelledby="{chart}-title {chart}-summary"' in html, chart
