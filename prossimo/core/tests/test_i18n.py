"""The Italian catalogue is complete, and Prossimo's catalogues compile with or without gettext."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from prossimo.core.management.commands.compilemessages_prossimo import (
    Message,
    compile_catalogue,
    project_catalogues,
    read_po,
    write_mo,
)

ITALIAN_PO = Path(settings.PACKAGE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"

SAMPLE_PO = r"""# A catalogue with every construct the compiler must handle.
#, fuzzy
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: prossimo/core/views.py:1
msgid "Hello"
msgstr "Ciao"

#, fuzzy
msgid "Fuzzy one"
msgstr "Sfocato"

msgctxt "month"
msgid "May"
msgstr "Maggio"

#, python-format
msgid "%(count)s person"
msgid_plural "%(count)s people"
msgstr[0] "%(count)s persona"
msgstr[1] "%(count)s persone"

msgid ""
"A long line that "
"continues \"quoted\"\n"
"and breaks."
msgstr ""
"Una riga lunga che "
"continua \"citata\"\n"
"e va a capo."

msgid "Untranslated"
msgstr ""

#, fuzzy
#~ msgid "Old"
#~ msgstr "Vecchio"

msgid "After an obsolete entry"
msgstr "Dopo una voce obsoleta"
"""

SAMPLE_CATALOGUE = {
    "Hello": "Ciao",
    "month\x04May": "Maggio",
    ("%(count)s person", 0): "%(count)s persona",
    ("%(count)s person", 1): "%(count)s persone",
    'A long line that continues "quoted"\nand breaks.': (
        'Una riga lunga che continua "citata"\ne va a capo.'
    ),
    "After an obsolete entry": "Dopo una voce obsoleta",
}


def _catalogue(mo: Path) -> dict:
    with mo.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    catalogue = dict(translations._catalog)  # type: ignore[attr-defined]
    catalogue.pop("", None)  # the header: msgfmt drops some fields of it
    return catalogue


def _describe(message: Message) -> str:
    context = f" [context {message.msgctxt!r}]" if message.msgctxt else ""
    where = ", ".join(message.references[:3])
    return f"  {message.msgid!r}{context}  ({where})"


def _extract_project_messages(workdir: Path) -> list[Message]:
    """Run makemessages over the project as the maintainers do, into a scratch catalogue.

    The repository's own .po files are left untouched: a settings module pointing
    LOCALE_PATHS elsewhere, and `locale` directories ignored (makemessages would otherwise
    adopt the one it meets while walking the tree).
    """
    locale = workdir / "locale"
    locale.mkdir()
    (workdir / "i18n_probe_settings.py").write_text(
        f"from prossimo.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(locale)!r}]\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(workdir), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "i18n_probe_settings",
        "PROSSIMO_ENV": "development",
        "PROSSIMO_ENV_FILE": str(workdir / "no.env"),
        "PROSSIMO_VAR_DIR": str(workdir / "var"),
        "HUEY_IMMEDIATE": "true",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale=it",
            "--ignore=.venv",
            "--ignore=var",
            "--ignore=locale",
            "--no-wrap",
            "--verbosity=0",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return read_po(locale / "it" / "LC_MESSAGES" / "django.po")


def test_every_message_of_the_project_is_translated_into_italian(tmp_path):
    extracted = [m for m in _extract_project_messages(tmp_path) if m.msgid]
    catalogue = {m.key: m for m in read_po(ITALIAN_PO)}

    missing = [m for m in extracted if m.key not in catalogue]
    untranslated = [m for m in extracted if m.key in catalogue and not catalogue[m.key].translated]
    fuzzy = [m for m in extracted if m.key in catalogue and catalogue[m.key].fuzzy]

    problems = []
    if missing:
        problems += ["Not in it/LC_MESSAGES/django.po (run makemessages):"]
        problems += [_describe(m) for m in missing]
    if untranslated:
        problems += ["Without an Italian translation:"] + [_describe(m) for m in untranslated]
    if fuzzy:
        problems += ["Marked fuzzy (check, then remove the flag):"]
        problems += [_describe(m) for m in fuzzy]
    if problems:
        count = len(missing) + len(untranslated) + len(fuzzy)
        pytest.fail(
            f"{count} message(s) not ready in the Italian catalogue {ITALIAN_PO}:\n"
            + "\n".join(problems),
            pytrace=False,
        )


def test_the_builtin_compiler_reads_every_po_construct(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(SAMPLE_PO, encoding="utf-8")

    write_mo(read_po(po), tmp_path / "django.mo")

    assert _catalogue(tmp_path / "django.mo") == SAMPLE_CATALOGUE


def test_the_builtin_compiler_and_msgfmt_agree_on_the_italian_catalogue(tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext (msgfmt) is needed to compare the two compilers"
    po = tmp_path / "django.po"
    shutil.copy(ITALIAN_PO, po)

    builtin = _catalogue(compile_catalogue(po, msgfmt=None))
    gnu = _catalogue(compile_catalogue(po, msgfmt=msgfmt))

    assert builtin == gnu
    assert builtin["Log in"] == "Accedi"


def test_only_catalogues_inside_the_package_are_compiled(tmp_path, settings):
    package = tmp_path / "prossimo"
    ours = package / "locale" / "it" / "LC_MESSAGES" / "django.po"
    foreign = tmp_path / ".venv" / "locale" / "it" / "LC_MESSAGES" / "django.po"
    for po in (ours, foreign):
        po.parent.mkdir(parents=True)
        po.write_text(SAMPLE_PO, encoding="utf-8")
    settings.PACKAGE_DIR = package
    settings.LOCALE_PATHS = [package / "locale", tmp_path / ".venv" / "locale"]

    assert project_catalogues() == [ours.resolve()]

    call_command("compilemessages_prossimo", "--builtin", verbosity=0)

    assert _catalogue(ours.with_suffix(".mo")) == SAMPLE_CATALOGUE
    assert not foreign.with_suffix(".mo").exists()


def test_the_project_catalogues_are_italian_and_english():
    package = Path(settings.PACKAGE_DIR).resolve()

    found = {po.relative_to(package).as_posix() for po in project_catalogues()}

    assert {"locale/it/LC_MESSAGES/django.po", "locale/en/LC_MESSAGES/django.po"} <= found
