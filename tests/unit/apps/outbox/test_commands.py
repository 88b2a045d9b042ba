"""The outbox commands' arguments and wording (their work is tested on the real services)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.outbox.dispatcher import BatchResult
from apps.outbox.management.commands.drain_outbox import Drained
from apps.outbox.management.commands.outbox_status import human_age
from apps.platform.commands import one_line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--interval", "0"], "argument --interval: '0' must be more than 0"),
        (["--interval", "soon"], "argument --interval: 'soon' is not a number of seconds"),
        (["--batch-size", "0"], "argument --batch-size: '0' must be 1 or more"),
        (["--max-batches", "2.5"], "argument --max-batches: '2.5' is not a whole number"),
    ],
)
def test_drain_outbox_refuses_bad_arguments_before_doing_anything(argv, message):
    with pytest.raises(CommandError, match=f"^Error: {message}$"):
        call_command("drain_outbox", *argv)


def test_a_drain_sums_its_batches_and_says_what_failed():
    drained = Drained()
    drained.add(BatchResult(published=5, failed=1))
    drained.add(BatchResult(published=1, dead=2))

    assert (drained.batches, drained.published, drained.failed, drained.dead) == (2, 6, 1, 2)
    assert drained.summary() == "published 6 outbox entries (1 failed, will retry; 2 dead, their aggregates parked)"
    assert Drained(published=1).summary() == "published 1 outbox entry"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0 s"),
        (59.94, "59.9 s"),
        (61, "1 min 1 s"),
        (3 * 3600 + 120, "3 h 2 min"),
        (2 * 86400 + 7200, "2 d 2 h"),
    ],
)
def test_ages_read_at_a_glance(seconds, text):
    assert human_age(seconds) == text


def test_errors_are_one_line_with_their_type():
    assert one_line(OSError("connection failed:\n\tIs the server running?")) == (
        "OSError: connection failed: Is the server running?"
    )
    assert one_line(TimeoutError()) == "TimeoutError"
