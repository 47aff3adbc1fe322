"""The conflict page in a real browser: a desk user saves a dossier another user changed
meanwhile; the page says so in the user's language, shows who changed what (values now)
beside the input, which is kept, and saving again then goes through."""
import pytest

from tests.browser.conftest import ROOT, log_in

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts"


def test_a_stale_edit_shows_the_other_change_and_keeps_the_input(page, app):
    from stts.models import Dossier, User
    from stts.services.dossiers.changes import modify_dossier

    dossier = Dossier.select().where((Dossier.company == 1) & (Dossier.state == "ACTIVE")).first()
    User.update(language="fr").where(User.username == "stts1.alpha").execute()
    log_in(page, "stts1.alpha")
    page.goto(f"/desk/dossiers/{dossier.id}/modify")
    page.fill("#customer_number", "MINE-7")
    # Meanwhile, a colleague changes the customer number.
    other = User.get(User.username == "stts2.alpha")
    modify_dossier(other, dossier.id, dossier.version, {
        "service": dossier.service, "phone_number": dossier.phone_number,
        "customer_number": "THEIRS-42", "tariff_formula": dossier.tariff_formula,
        "installation_costs": dossier.installation_costs})
    page.locator("#modify-form button[type=submit]").click()
    box = page.locator("#modify-form .changed-meanwhile")
    box.wait_for()
    text = box.inner_text()
    assert "Modifié entre-temps" in text and "stts2.alpha" in text and "THEIRS-42" in text
    assert "MINE-7" in text and "Numéro de client" in text
    assert "Someone changed" not in page.locator("main").inner_text()
    assert page.input_value("#customer_number") == "MINE-7"
    # Focus is on the refusal, where the user is looking.
    page.wait_for_function("() => document.activeElement.closest('[role=alert]') !== null")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "conflict-dossier-fr.png"), full_page=True)
    # Saving again knowingly replaces the other change.
    page.locator("#modify-form button[type=submit]").click()
    page.wait_for_url(f"**/desk/dossiers/{dossier.id}")
    assert Dossier.get_by_id(dossier.id).customer_number == "MINE-7"
