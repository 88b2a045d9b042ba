"""Bring the generated parts of docs/api/webhooks.md up to date: the event catalogue and the retry schedule.

Both are rendered by ``apps.composition.webhook_catalogue`` from the offered event classes and the default
retry schedule, between their marker comments; the rest of the document is left as it is.
``tests/unit/apps/webhooks/test_event_catalogue.py`` fails when the document differs. Run
``make webhook-docs`` after changing an offered event (``--check`` only reports whether the document is up
to date).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from apps.composition.webhook_catalogue import render_document

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "api" / "webhooks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the document is not up to date")
    args = parser.parse_args(argv)
    current = DOCUMENT.read_text()
    wanted = render_document(current)
    if args.check:
        if current != wanted:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run `make webhook-docs`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
