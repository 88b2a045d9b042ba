"""The post-commit wake-up of the dispatcher: never waits on the broker, folds kicks, backs off on failure."""

from __future__ import annotations

import os
import threading
import time

from kombu import Connection

from apps.outbox import wakeup
from apps.outbox.tasks import drain_outbox
from apps.outbox.wakeup import Waker, send_drain_task

WAIT = 5.0  # seconds a test waits for the waker's thread before it calls the behaviour broken


def until(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


class HungBroker:
    """A send that blocks until released, as a publish to a broker that accepted the connection and went quiet."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        assert self.release.wait(WAIT), "the test never released the hung send"


class DownBroker:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


def test_a_kick_returns_while_the_broker_hangs() -> None:
    broker = HungBroker()
    waker = Waker(pause=60, send=broker)

    waker.kick()

    assert until(lambda: waker.sending), "the kick never reached the broker"
    assert broker.calls == 1  # the send is under way, and kick() has already returned
    waker.kick()  # a second commit while the first send hangs: returns too
    broker.release.set()
    assert until(lambda: waker.sent == 2)


def test_kicks_during_a_send_fold_into_one_more_send() -> None:
    broker = HungBroker()
    waker = Waker(pause=60, send=broker)
    waker.kick()
    assert until(lambda: waker.sending)

    for _ in range(100):
        waker.kick()
    broker.release.set()

    assert until(lambda: waker.sent == 2)
    time.sleep(0.05)
    assert broker.calls == 2


def test_a_failed_send_pauses_the_kicks_and_they_resume_after_the_pause() -> None:
    broker = DownBroker()
    waker = Waker(pause=0.3, send=broker)

    waker.kick()
    assert until(lambda: waker.failed == 1)
    for _ in range(10):
        waker.kick()  # within the pause: dropped, the broker is not asked again
    time.sleep(0.05)
    assert broker.calls == 1
    assert waker.dropped == 10

    assert until(lambda: time.monotonic() >= waker.paused_until)
    waker.kick()
    assert until(lambda: broker.calls == 2)


def test_the_waker_survives_a_send_that_fails() -> None:
    outcomes = iter([ConnectionResetError("reset by peer"), None])

    def flaky() -> None:
        failure = next(outcomes)
        if failure:
            raise failure

    waker = Waker(pause=0.0, send=flaky)
    waker.kick()
    assert until(lambda: waker.failed == 1)
    waker.kick()
    assert until(lambda: waker.sent == 1)


def test_the_real_send_queues_a_drain_task_on_the_celery_broker() -> None:
    app = drain_outbox.app
    with Connection(app.conf.broker_url) as connection:
        queue = connection.SimpleQueue("celery")
        queue.clear()
        send_drain_task()
        message = queue.get(timeout=WAIT)
        message.ack()
        queue.close()

    assert message.headers["task"] == "outbox.drain"
    assert message.headers["expires"] is not None


def test_a_forked_child_gets_a_waker_of_its_own() -> None:
    parent = wakeup.waker()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it was handed the parent's waker, then leave at once
        os.write(write, b"same" if wakeup.waker() is parent else b"own")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)

    assert answer == b"own"
    assert wakeup.waker() is parent
