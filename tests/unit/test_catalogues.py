"""Every catalogue is complete: no untranslated or fuzzy entry ships, in any language,
and every message used in the code is in the catalogues."""
import os
import re
import shlex
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


def _makefile_extract_options() -> list[str]:
    """The options `make translations` gives `pybabel extract` (one command, read here)."""
    with open(os.path.join(ROOT, "Makefile")) as handle:
        line = next(line for line in handle if "pybabel extract" in line)
    return shlex.split(line.split("pybabel extract", 1)[1].split(" -o ")[0])


def test_every_message_in_the_code_is_catalogued(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract",
         *_makefile_extract_options(), "-o", str(pot), "stts"],
        check=True, capture_output=True, cwd=ROOT,
    )
    with open(pot, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    known = {m.id for m in _catalogue("fr") if m.id}
    missing = sorted(wanted - known, key=str)
    assert not missing, f"run `make translations`: not in the catalogues: {missing[:20]}"


# A literal marked for translation: _("…"), _l("…"), gettext("…"), lazy_gettext("…").
MARKED = re.compile(r"""(?<![\w.])(?:_|_l|gettext|lazy_gettext)\(\s*(["'])((?:(?!\1)[^\\\n])+)\1\s*[,)]""")


def test_every_marked_string_in_every_file_is_catalogued():
    """Independent of the extractor's configuration: every template and Python file, in
    every folder (including `_`-prefixed ones, which pybabel skips by default), is read and
    each literal it marks for translation must be in every catalogue."""
    stts = os.path.join(ROOT, "stts")
    found = {}
    for folder, _dirs, files in os.walk(stts):
        for name in files:
            if not name.endswith((".html", ".py", ".txt", ".xml")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                for match in MARKED.finditer(handle.read()):
                    found.setdefault(match.group(2), os.path.relpath(path, ROOT))
    assert len(found) > 300  # the scan does see the application's messages
    for language in LANGUAGES:
        known = {m.id for m in _catalogue(language) if m.id and m.string}
        missing = {text: path for text, path in found.items() if text not in known}
        assert not missing, f"{language}: marked but not in the catalogue: {missing}"


LISTS = ("STATE_LABELS", "ACCESS_STATUS_LABELS", "AUDIT_RESULT_LABELS", "RESULT_CODE_LABELS",
         "USER_STATE_LABELS", "BATCH_STATE_LABELS")


@pytest.mark.parametrize("name", LISTS)
def test_french_labels_of_one_list_agree_in_gender(name):
    """One list describes one noun: "Approuvé" next to "Refusée" reads as a mistake."""
    from stts.labels import LABEL_TABLES

    french = {(m.context, m.id): m.string for m in _catalogue("fr") if m.id}
    genders = {}
    for label in LABEL_TABLES[name].values():
        context = label._args[0] if len(label._args) == 2 else None
        msgid = label._args[-1]
        first = french[(context, msgid)].split()[0].strip(",").lower()
        if first.endswith(("ée", "ées")):
            genders.setdefault("feminine", []).append(first)
        elif first.endswith(("é", "és")):
            genders.setdefault("masculine", []).append(first)
    assert len(genders) <= 1, f"{name}: {genders}"
