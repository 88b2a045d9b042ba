"""Threads for concurrency tests: each closes its own database connection, so teardown can drop the test database."""

import threading

from django.db import connections


def in_thread(target, *args) -> threading.Thread:
    """A started thread that closes its own database connection when done."""

    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
