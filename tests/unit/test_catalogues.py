"""Every catalogue is complete: no untranslated or fuzzy entry ships, in any language,
and every message used in the code is in the catalogues."""
import os
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
LANGUAGES = ("fr", "nl", "de", "en")


def _catalogue(language):
    path = os.path.join(ROOT, "translations", language, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    catalogue = _catalogue(language)
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            untranslated.append(message.id)
    assert not untranslated, f"{language}: untranslated {untranslated[:20]}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy[:20]}"


@pytest.mark.parametrize("language", ("fr", "nl", "de"))
def test_placeholders_survive_translation(language):
    import re

    for message in _catalogue(language):
        if not message.id or isinstance(message.id, tuple):
            continue
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", message.id))
        assert sorted(re.findall(r"%\(\w+\)[sd]", message.string)) == wanted, message.id


def test_every_message_in_the_code_is_catalogued(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         os.path.join(ROOT, "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "-o", str(pot), os.path.join(ROOT, "stts")],
        check=True, capture_output=True,
    )
    with open(pot, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    known = {m.id for m in _catalogue("fr") if m.id}
    missing = sorted(wanted - known, key=str)
    assert not missing, f"run `make translations`: not in the catalogues: {missing[:20]}"
