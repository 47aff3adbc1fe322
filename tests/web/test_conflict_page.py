"""The conflict page (optimistic locking, 409): the refused user sees the other user's change
— who, when, each field with its value now — beside their own input, which is kept, in the
four languages; for a dossier (desk) and a user (console)."""
import re

import pytest

from stts.models import Dossier, User
from tests.conftest import HX, login

# The words of the conflict box and of one changed field's label in each language.
WORDS = {
    "fr": ("Modifié entre-temps", "Numéro de client", "Votre saisie (conservée)"),
    "nl": ("Intussen gewijzigd", "Klantnummer", "Uw invoer (bewaard)"),
    "de": ("Zwischenzeitlich geändert", "Kundennummer", "Ihre Eingabe (behalten)"),
    "en": ("Changed meanwhile", "Customer number", "Your input (kept)"),
}
COMMERCIAL = {"service": "MOBILE", "phone_number": "0470 12 34 56", "customer_number": "C-1",
              "tariff_formula": "Social mobile"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _in(client, username, language):
    login(client, username)
    client.post("/language", data={"language": language, "next": "/home"})
    return client


@pytest.mark.parametrize("language", sorted(WORDS))
@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_a_stale_dossier_edit_shows_the_other_change_beside_the_input(client, make_client,
                                                                       language, headers):
    dossier = Dossier.select().where((Dossier.company == 1) & (Dossier.state == "ACTIVE")).first()
    version = dossier.version
    other = _in(make_client(), "stts2.alpha", "en")
    first = other.post(f"/desk/dossiers/{dossier.id}/modify",
                       data={"version": version, **COMMERCIAL, "customer_number": "THEIRS-42"})
    assert first.status_code == 303
    mine = _in(client, "stts1.alpha", language)
    stale = mine.post(f"/desk/dossiers/{dossier.id}/modify", headers=headers,
                      data={"version": version, **COMMERCIAL, "customer_number": "MINE-7"})
    assert stale.status_code == 409
    body, text = stale.get_data(as_text=True), _text(stale)
    title, field_label, kept = WORDS[language]
    # The other user's change: who, which field, its value now; and the input kept beside it.
    assert title in text and kept in text and field_label in text
    assert "stts2.alpha" in text and "THEIRS-42" in text
    assert 'value="MINE-7"' in body and "MINE-7" in text.replace('value="MINE-7"', "")
    # No field is wrong: the page does not point at "fields marked below".
    assert "aria-invalid" not in body and "field-invalid" not in body
    assert body.count('class="banner banner-error" role="alert">') == 1
    if language != "en":
        assert "Someone changed" not in text and "Changed meanwhile" not in text
    # Sending again (the page now carries the current version) overwrites knowingly.
    version_now = Dossier.get_by_id(dossier.id).version
    assert f'value="{version_now}"' in body


@pytest.mark.parametrize("language", sorted(WORDS))
def test_a_stale_user_edit_shows_the_other_change_beside_the_input(client, make_client,
                                                                    language):
    user = User.get(User.username == "stts1.alpha")
    version = user.version
    other = _in(make_client(), "lm.alpha", "en")
    saved = other.post(f"/console/users/{user.id}", data={
        "email": "theirs@alpha.example.com", "app_web": "y", "profile": "STTS2",
        "version": version})
    assert saved.status_code == 200
    mine = _in(client, "lm.alpha", language)
    stale = mine.post(f"/console/users/{user.id}", headers=HX, data={
        "email": "mine@alpha.example.com", "app_web": "y", "profile": "STTS3",
        "version": version})
    assert stale.status_code == 409
    body, text = stale.get_data(as_text=True), _text(stale)
    assert WORDS[language][0] in text and WORDS[language][2] in text
    assert "lm.alpha" in text and "theirs@alpha.example.com" in text
    assert 'value="mine@alpha.example.com"' in body
    if language != "en":
        assert "Someone changed" not in text and "Changed meanwhile" not in text
