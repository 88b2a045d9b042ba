"""Invalidations to and from every process, over Redis pub/sub.

Publishing is fire and forget: a lost message leaves other processes' L1
entries to their TTL, which is the bound ADR-0009 states. Each process listens
on a daemon thread started by its first cached read; whenever the subscription
is (re)established, the process drops its whole L1, since invalidations may
have been missed while it was down. A forked child starts its own listener.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis
import structlog

from apps.platform import outages

log = structlog.get_logger(__name__)

#: Seconds between two attempts to subscribe again after Redis went away.
RETRY_SECONDS = 1.0


class RedisBroadcast:
    def __init__(
        self,
        url: str,
        channel: str,
        *,
        on_message: Callable[[Mapping[str, Any]], None],
        on_connect: Callable[[], None],
        timeout: float = 0.5,
        pause: float = 5.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.on_message = on_message
        self.on_connect = on_connect
        self.timeout = timeout
        self.pause = pause
        self._paused_until = 0.0
        self.connected = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._publisher: redis.Redis | None = None
        os.register_at_fork(after_in_child=self._forked)

    def publish(self, message: Mapping[str, Any]) -> None:
        """Fire and forget; after a failure, nothing is published for ``pause`` seconds (TTLs bound what is lost)."""
        if time.monotonic() < self._paused_until:
            return
        try:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(
                    self.url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout
                )
            self._publisher.publish(self.channel, json.dumps(message))
        except Exception as error:  # the other processes' L1 entries fall back to their TTL
            self._paused_until = time.monotonic() + self.pause
            outages.report(outages.REDIS, error, during="read cache invalidation")

    def listen(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="read-cache-invalidations", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            client = redis.Redis.from_url(
                self.url, socket_connect_timeout=self.timeout, socket_timeout=None, health_check_interval=10
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.on_connect()
                self.connected.set()
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["data"])
            except Exception as error:  # Redis went away: subscribe again, L1 entries age out meanwhile
                self.connected.clear()
                outages.report(outages.REDIS, error, during="read cache invalidations")
                self._stopping.wait(RETRY_SECONDS)
            finally:
                self.connected.clear()
                pubsub.close()
                client.close()

    def _deliver(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("read cache invalidation ignored: not JSON", channel=self.channel)
            return
        if isinstance(message, dict):
            self.on_message(message)

    def _forked(self) -> None:
        self._thread = None
        self._publisher = None
        self._start_lock = threading.Lock()
        self.connected = threading.Event()
        self._stopping = threading.Event()

    def wait_connected(self, timeout: float) -> bool:
        """For tests and readiness: whether the subscription is up within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        self.listen()
        return self.connected.wait(max(0.0, deadline - time.monotonic()))
