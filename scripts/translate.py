"""Fill Spanish translations from a Python file defining T = {msgid: msgstr}; list the rest.

Usage: .venv/bin/python scripts/translate.py [translations.py]
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "eventhub/translations/es/LC_MESSAGES/messages.po"


def main() -> None:
    table = runpy.run_path(sys.argv[1])["T"] if len(sys.argv) > 1 else {}
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in table:
            value = table[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
        elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            missing.append(key)
    with PO.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)
    for key in missing:
        print("untranslated:", repr(key))


if __name__ == "__main__":
    main()
