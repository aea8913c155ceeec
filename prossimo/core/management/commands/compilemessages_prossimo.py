"""`prossimo compilemessages_prossimo`: compile Prossimo's own catalogues (.po → .mo), nothing else.

Django's `compilemessages` walks every directory below the current one, the virtualenv included.
This command compiles only the catalogues under the `prossimo` package (`LOCALE_PATHS` and the
apps' own `locale` directories), with GNU msgfmt when it is installed and with the small
compiler below otherwise, so that a machine without gettext can still run Prossimo.
"""

from __future__ import annotations

import ast
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MO_MAGIC = 0x950412DE


@dataclass
class Message:
    """One entry of a .po file; `msgstr` holds one string, or one per plural form."""

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)  # "path:line" where it is used

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> list[Message]:
    """The live (not obsolete) entries of a UTF-8 .po file, header entry included."""
    messages: list[Message] = []
    current: Message | None = None
    pending_flags: set[str] = set()  # flags written above the entry that comes next
    pending_references: list[str] = []
    target: tuple[str, int] | None = None  # which string a continuation line extends

    def finish() -> None:
        nonlocal current
        if current is not None:
            messages.append(current)
        current = None

    def start(msgid: str = "", msgctxt: str | None = None) -> None:
        nonlocal current, pending_flags, pending_references
        finish()
        current = Message(
            msgid=msgid, msgctxt=msgctxt, flags=pending_flags, references=pending_references
        )
        pending_flags, pending_references = set(), []

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if not line or line.startswith("#~"):
                pending_flags, pending_references, target = set(), [], None
            elif line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            elif line.startswith("#:"):
                pending_references += line[2:].split()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        try:
            text = ast.literal_eval(rest.strip()) if rest.strip() else ""
        except (SyntaxError, ValueError):
            raise CommandError(f"{path}:{number}: cannot read {raw!r}") from None
        if keyword == "msgctxt":
            start(msgctxt=text)
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            if current is not None and not current.msgstr and target == ("msgctxt", 0):
                current.msgid = text
            else:
                start(msgid=text)
            target = ("msgid", 0)
        elif keyword == "msgid_plural" and current is not None:
            current.msgid_plural = text
            target = ("msgid_plural", 0)
        elif keyword.startswith("msgstr") and current is not None:
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr.extend([""] * (index + 1 - len(current.msgstr)))
            current.msgstr[index] = text
            target = ("msgstr", index)
        elif keyword == "" and current is not None and target is not None:
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, name, (getattr(current, name) or "") + text)
        else:
            raise CommandError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return messages


def write_mo(messages: list[Message], path: Path) -> None:
    """Write the translated, non-fuzzy entries (and the header) in GNU .mo format."""
    catalogue: dict[bytes, bytes] = {}
    for message in messages:
        is_header = message.msgid == "" and message.msgctxt is None
        if not message.translated or (message.fuzzy and not is_header):
            continue
        original = message.msgid
        if message.msgid_plural is not None:
            original += "\0" + message.msgid_plural
        if message.msgctxt is not None:
            original = message.msgctxt + "\x04" + original
        catalogue[original.encode()] = "\0".join(message.msgstr).encode()
    keys = sorted(catalogue)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(catalogue[key])))
        ids += key + b"\0"
        strs += catalogue[key] + b"\0"
    count = len(keys)
    keys_start = 7 * 4 + count * 16
    values_start = keys_start + len(ids)
    table: list[int] = []
    for id_offset, id_length, _str_offset, _str_length in offsets:
        table += [id_length, keys_start + id_offset]
    for _id_offset, _id_length, str_offset, str_length in offsets:
        table += [str_length, values_start + str_offset]
    header = struct.pack("Iiiiiii", MO_MAGIC, 0, count, 7 * 4, 7 * 4 + count * 8, 0, 0)
    path.write_bytes(header + struct.pack(f"{len(table)}i", *table) + ids + strs)


def project_catalogues() -> list[Path]:
    """The .po files of Prossimo itself: `LOCALE_PATHS` and its apps' `locale` directories."""
    package = Path(settings.PACKAGE_DIR).resolve()
    roots = [Path(p).resolve() for p in settings.LOCALE_PATHS]
    roots += [Path(app.path).resolve() / "locale" for app in apps.get_app_configs()]
    found: set[Path] = set()
    for root in roots:
        if root.is_relative_to(package) and root.is_dir():
            found.update(root.glob("*/LC_MESSAGES/*.po"))
    return sorted(found)


def compile_catalogue(po: Path, *, msgfmt: str | None) -> Path:
    """Compile `po` next to itself; the .mo is replaced atomically (a server may be reading)."""
    mo = po.with_suffix(".mo")
    handle, temporary = tempfile.mkstemp(dir=po.parent, prefix=".", suffix=".mo")
    os.close(handle)
    try:
        if msgfmt:
            done = subprocess.run(  # noqa: S603 - msgfmt found on PATH, our own files
                [msgfmt, "--check-format", "-o", temporary, str(po)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise CommandError(f"msgfmt failed on {po}:\n{done.stderr}")
        else:
            write_mo(read_po(po), Path(temporary))
        Path(temporary).chmod(0o644)
        os.replace(temporary, mo)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return mo


class Command(BaseCommand):
    help = "Compile Prossimo's translation catalogues (.po → .mo), ignoring .venv and var."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="Use the built-in compiler even when GNU msgfmt is installed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        msgfmt = None if options["builtin"] else shutil.which("msgfmt")
        catalogues = project_catalogues()
        for po in catalogues:
            compile_catalogue(po, msgfmt=msgfmt)
            if options["verbosity"] > 1:
                self.stdout.write(f"compiled {po}")
        tool = "msgfmt" if msgfmt else "the built-in compiler"
        self.stdout.write(f"Compiled {len(catalogues)} catalogue(s) with {tool}.")
