#!/usr/bin/env python
"""orderflow's command-line entry point (Django's manage.py)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake is one clear line, not a traceback.
        sys.stderr.write(f"orderflow: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
