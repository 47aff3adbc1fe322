"""Amounts as Belgians type them: a decimal comma or point, anything ambiguous refused with a
clear message, shown the way of the language, compared as values in the timeline."""
from decimal import Decimal

import pytest

from stts.forms import parse_amount
from stts.models import Dossier, DossierAction, User
from tests.conftest import login
from tests.web.xml_helpers import dossier_of

COMMERCIAL = {"service": "MOBILE", "phone_number": "0470 12 34 56", "customer_number": "C-1",
              "tariff_formula": "Social mobile"}


@pytest.mark.parametrize(("typed", "amount"), [
    ("12,50", "12.50"), ("12.50", "12.50"), ("12,5", "12.50"), ("12", "12.00"),
    (" 12,50 € ", "12.50"), ("1 250,50", "1250.50"), ("1\u00a0250", "1250.00"), ("0,05", "0.05")])
def test_amounts_people_type(typed, amount):
    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["1.250", "1,250", "1.250,50", "1,250.50", "12,505", "12,5,0",
                                   "-3", "12 50", "1e3", "abc", "12,", ",5", "١٢"])
def test_ambiguous_or_wrong_amounts_are_refused(typed):
    with pytest.raises(ValueError):
        parse_amount(typed)


def _modify(client, dossier, costs):
    return client.post(f"/desk/dossiers/{dossier.id}/modify", data={
        "version": Dossier.get_by_id(dossier.id).version, **COMMERCIAL,
        "installation_costs": costs})


@pytest.mark.parametrize(("language", "shown", "message"), [
    ("fr", "12,50\u00a0€", "Saisissez un montant en euros"),
    ("nl", "€\u00a012,50", "Geef een bedrag in euro"),
    ("de", "12,50\u00a0€", "Geben Sie einen Betrag in Euro")])
def test_decimal_comma_is_saved_shown_and_compared_as_a_value(client, language, shown, message):
    User.update(language=language).where(User.username == "stts3.alpha").execute()
    login(client, "stts3.alpha")
    dossier = dossier_of(103)
    assert _modify(client, dossier, "12,50").status_code == 303
    assert Dossier.get_by_id(dossier.id).installation_costs == Decimal("12.50")
    page = client.get(f"/desk/dossiers/{dossier.id}").get_data(as_text=True)
    assert shown in page
    # The same amount typed another way is no change: nothing to save, no action recorded.
    actions = DossierAction.select().where(DossierAction.dossier == dossier.id).count()
    unchanged = _modify(client, dossier, "12.5")
    assert unchanged.status_code == 422
    assert 'value="12.5"' in unchanged.get_data(as_text=True)
    assert DossierAction.select().where(DossierAction.dossier == dossier.id).count() == actions
    # Ambiguous: refused with a message in the language, the input kept.
    refused = _modify(client, dossier, "1.250")
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert message in body and 'value="1.250"' in body
    assert Dossier.get_by_id(dossier.id).installation_costs == Decimal("12.50")
    # The form shows the stored amount the way of the language.
    form = client.get(f"/desk/dossiers/{dossier.id}/modify").get_data(as_text=True)
    assert 'value="12,50"' in form
