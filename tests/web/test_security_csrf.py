"""Checklist 14: an expired CSRF token is refused with a clear, translated answer that says
nothing was saved; for htmx it is an error that is not swapped (htmx-config), so the typed
input stays in the form."""
import json
import re

from itsdangerous import URLSafeTimedSerializer

from stts.models import User
from tests.conftest import HX, login


def _expired_token(client, app):
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", "a" * 40)
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    token = serializer.dumps(raw)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # any token is now older than the limit
    return token


def test_expired_token_changes_nothing_and_says_so(app, client):
    login(client, "lm.alpha")
    token = _expired_token(client, app)
    client.send_csrf = False
    before = User.select().count()
    data = {"csrf_token": token, "username": "late.user", "username_confirm": "late.user",
            "last_name": "Tard", "first_name": "Léa", "national_number": "85.07.30-033.28",
            "language": "fr", "app_web": "y", "profile": "STTS1"}
    response = client.post("/console/users/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved" in body and "reload the page" in body
    assert "Traceback" not in body
    assert User.select().count() == before
    fragment = client.post("/console/users/new", data=data,
                           headers={**HX, "X-CSRFToken": token})
    assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)


def test_htmx_keeps_the_form_on_errors_other_than_409_and_422(client):
    page = client.get("/login").get_data(as_text=True)
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1))
    rules = {rule["code"]: rule for rule in config["responseHandling"]}
    assert rules["[45].."]["swap"] is False and rules["[45].."]["error"] is True
    assert rules["422"]["swap"] is True and rules["409"]["swap"] is True
