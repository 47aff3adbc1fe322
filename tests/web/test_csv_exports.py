"""The CSV exports open cleanly in Belgian Excel: UTF-8 with its byte order mark, the list
separator of the reader's language, labels instead of codes, Brussels times with four-digit
years, phone numbers as numbers, and no cell a spreadsheet would run as a formula, whatever
the separator."""
import csv
import io
import re

import pytest

from stts.csv_export import CSV_FORMULA_START
from stts.labels import CATEGORY_LABELS, LABEL_TABLES, STATE_LABELS
from stts.models import User
from tests.conftest import login

EXPORTS = (("lm.alpha", "/console/users.csv"), ("stts1.alpha", "/desk/dossiers.csv?state=ACTIVE"))
SEPARATORS = {"fr": ";", "nl": ";", "de": ";", "en": ","}
CODES = {code for table in LABEL_TABLES.values() for code in table
         if code.isupper() or "_" in code or "." in code}


def _cells(response, language):
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text), delimiter=SEPARATORS[language]))


@pytest.mark.parametrize("language", sorted(SEPARATORS))
@pytest.mark.parametrize(("username", "address"), EXPORTS)
def test_export_reads_as_a_person_reads_it(client, language, username, address):
    User.update(language=language).execute()
    User.update(last_name="Evil;=1+1", first_name="Bad,-2+3").where(
        User.username == "stts2.alpha").execute()
    login(client, username)
    if username == "lm.alpha":
        client.get("/home")  # a last login to show
    response = client.get(address)
    assert response.status_code == 200
    rows = _cells(response, language)
    assert len(rows) > 2 and all(len(row) == len(rows[0]) for row in rows)
    for row in rows:
        for cell in row:
            assert not cell.startswith(CSV_FORMULA_START), cell
            assert cell not in CODES, cell
            assert not re.search(r"\d{4}-\d{2}-\d{2}", cell), cell
            assert not re.search(r"(?<![\d.])\d{1,2}[./]\d{1,2}[./]\d{2}(?![\d-])", cell), cell
            assert not cell.startswith("'+"), cell
    flat = [cell for row in rows for cell in row]
    if username == "stts1.alpha":
        assert any(re.fullmatch(r"0\d{2,3}( \d\d){3}", cell) for cell in flat)  # 0470 12 34 56
    else:
        assert "Evil;=1+1" in flat and "Bad,-2+3" in flat  # one cell each, defused by quoting


def test_labels_follow_the_language(client):
    User.update(language="nl").execute()
    login(client, "stts1.alpha")
    rows = _cells(client.get("/desk/dossiers.csv?state=ACTIVE"), "nl")
    from flask_babel import force_locale

    with force_locale("nl"):
        active = str(STATE_LABELS["ACTIVE"])
        categories = {str(label) for label in CATEGORY_LABELS.values()}
    assert {row[8] for row in rows[1:]} == {active}
    assert {row[4] for row in rows[1:]} <= categories


def test_last_login_is_brussels_time(client, app):
    from datetime import datetime

    User.update(language="fr").execute()
    User.update(last_login_at=datetime(2026, 7, 1, 10, 0)).where(
        User.username == "stts1.alpha").execute()
    login(client, "lm.alpha")
    rows = _cells(client.get("/console/users.csv?username=stts1.alpha"), "fr")
    assert "01/07/2026 12:00" in [cell for row in rows for cell in row]
