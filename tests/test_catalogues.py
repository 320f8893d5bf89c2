"""The Spanish catalogues are complete (issue 21, acceptance point 3).

Every string marked for translation in the code is in its app's catalogue, none is untranslated
or fuzzy, and each compiled .mo holds what its .po says (scripts/messages.py does the reading).
Extraction needs GNU gettext's xgettext: CI installs it (.ci/run); elsewhere the test says how.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import messages  # noqa: E402  (scripts/messages.py)


def test_there_is_a_catalogue_for_the_project_and_the_patient_facing_apps():
    names = {str(po.relative_to(ROOT)) for po in messages.catalogues()}
    assert "glabella/locale/es/LC_MESSAGES/django.po" in names


def test_no_entry_is_untranslated_or_fuzzy_and_every_mo_is_current():
    assert messages.problems() == []


def test_the_catalogues_agree_on_every_english_sentence_they_share():
    assert messages.disagreements() == []


def test_the_agreement_check_finds_two_translations_of_one_sentence(tmp_path):
    for app, said in (("a", "Reserve una consulta"), ("b", "Hacer una cita")):
        po = tmp_path / "glabella" / app / "locale" / "es" / "LC_MESSAGES" / "django.po"
        po.parent.mkdir(parents=True)
        po.write_text(f'msgid "Book a consultation"\nmsgstr "{said}"\n', encoding="utf-8")
    found = messages.disagreements(tmp_path)
    assert len(found) == 1 and "Book a consultation" in found[0]


def test_every_marked_string_is_in_its_catalogue():
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is needed to extract the marked strings")
        pytest.skip("install GNU gettext (xgettext) to check the catalogues against the code")
    assert messages.missing() == []


def test_the_check_finds_an_untranslated_and_a_fuzzy_entry(tmp_path):
    po = tmp_path / "glabella" / "x" / "locale" / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Book"\nmsgstr ""\n\n#, fuzzy\nmsgid "Cancel"\nmsgstr "Cancelar"\n\n'
        'msgid "Hello"\nmsgstr "Hola"\n',
        encoding="utf-8",
    )
    po.with_suffix(".mo").write_bytes(messages.compiled(po))
    found = messages.problems(tmp_path)
    assert any("untranslated: 'Book'" in f for f in found)
    assert any("fuzzy: 'Cancel'" in f for f in found)
    assert not any("Hello" in f for f in found)
    po.with_suffix(".mo").write_bytes(b"")
    assert any("not current" in f for f in messages.problems(tmp_path))
