"""What the platform tells whoever listens (the audit trail does), without knowing who that is.

- ``request_forbidden``: an API request was refused for a missing permission (403); ``request``.
- ``message_forbidden``: the bus refused a message for a missing permission; ``message``, ``error``.
"""

from __future__ import annotations

from django.dispatch import Signal

request_forbidden = Signal()
message_forbidden = Signal()
