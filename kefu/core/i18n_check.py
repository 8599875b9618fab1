"""Translation completeness check (CI): every message in the code has a zh_Hans translation, and the
compiled catalogue matches the source catalogue.

Extracts messages with Django's makemessages into a scratch copy of the package (GNU gettext needed),
so the committed catalogue is never rewritten by the check itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def parse_po(path: Path) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy). Plural forms count as translated when msgstr[0] is.

    Keys of entries with a context are "context\x04msgid", as in a compiled catalogue. Continuation
    lines of msgctxt, msgid and msgstr are joined; obsolete entries (#~) are skipped, and their flags
    (e.g. a fuzzy flag over an obsolete entry) do not leak into the next entry.
    """
    entries: dict[str, tuple[str, bool]] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    context: list[str] | None = None
    fuzzy = False
    obsolete = False
    target: list[str] | None = None

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy, context, obsolete, target
        text = "".join(msgid)
        if text and not obsolete:
            key = "".join(context) + "\x04" + text if context is not None else text
            entries[key] = ("".join(msgstr), fuzzy)
        msgid, msgstr, fuzzy, context, obsolete, target = [], [], False, None, False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()  # an entry ends at a blank line, whether or not it had a msgid
        elif line.startswith("#~"):
            obsolete = True
        elif line.startswith("#"):
            if msgid:  # a comment starts the next entry (no blank line in between)
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
        elif line.startswith("msgctxt "):
            if msgid:
                flush()
            context = [_unquote(line[8:])]
            target = context
        elif line.startswith("msgid "):
            if msgid:
                flush()
            msgid = [_unquote(line[6:])]
            target = msgid
        elif line.startswith("msgid_plural "):
            target = None
        elif line.startswith("msgstr ") or line.startswith("msgstr[0] "):
            msgstr = [_unquote(line.split(" ", 1)[1])]
            target = msgstr
        elif line.startswith("msgstr["):
            target = None
        elif line.startswith('"') and target is not None:
            target.append(_unquote(line))
    flush()
    return entries


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1].encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if s.startswith('"') else s


def extracted_msgids() -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "kefu"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "tests", "migrations"))
        (copy / "locale").mkdir(exist_ok=True)
        # -P: the working directory is the copied package, and its `channels` app (kefu.channels) must
        # not shadow Django Channels' top-level `channels` package.
        subprocess.run(
            [sys.executable, "-P", "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
            cwd=copy,
            check=True,
            env={"DJANGO_SETTINGS_MODULE": "kefu.settings", "PYTHONPATH": str(PACKAGE.parent), "PATH": "/usr/bin:/bin:/usr/local/bin", "KEFU_DATA_DIR": tmp},
        )
        return set(parse_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def main() -> int:
    if not PO.exists():
        print(f"missing catalogue {PO}")
        return 1
    committed = parse_po(PO)
    problems: list[str] = []
    for msgid in sorted(extracted_msgids()):
        if msgid not in committed:
            problems.append(f"not in catalogue: {msgid!r}")
        elif not committed[msgid][0]:
            problems.append(f"untranslated: {msgid!r}")
        elif committed[msgid][1]:
            problems.append(f"fuzzy: {msgid!r}")
    problems += _mo_mismatch()
    for p in problems:
        print(p)
    print(f"i18n: {len(committed)} entries, {len(problems)} problems")
    return 1 if problems else 0


def _mo_mismatch() -> list[str]:
    import gettext

    if not MO.exists():
        return [f"missing compiled catalogue {MO} (run make i18n)"]
    with MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    wrong = [k for k, (v, fuzzy) in parse_po(PO).items() if v and not fuzzy and catalog.gettext(k) != v]
    return [f"compiled catalogue out of date for {k!r} (run make i18n)" for k in wrong[:10]]


if __name__ == "__main__":
    sys.exit(main())
