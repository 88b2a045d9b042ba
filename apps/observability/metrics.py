"""Every Prometheus metric orderflow exposes, in one place: name, labels, help.

The names and labels are a contract with the dashboards and alert rules
(``deployments/monitoring/``) and with ``docs/ops/observability.md``:
change one only together with them.

Counters and histograms are recorded where things happen, in whatever process
that is (an api worker, a Celery worker, the dispatcher, a consumer). With
``PROMETHEUS_MULTIPROC_DIR`` set in the process environment before the first
import of ``prometheus_client``, every process writes its values to files in
that directory and ``/metrics`` adds them up (``exposition``); without it they
live in this process's memory. The gauges read from the database are no
objects here: ``SAMPLED`` names them, and the sampler (``sampling``) computes
them once per interval for every process.

Label values are bounded by construction: a route is a URL pattern, a message
a class name, a consumer one of the registered ones, an outcome one of a few
words. Nothing taken from a request (a path, an id, a header) becomes a label.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Values are files there from the first metric on: a process started before anyone made the directory
    # (a one-off command in the api image, say) must not fail for that.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


@functools.cache  # one entry per label set: bounded, as every label value is (above)
def child(metric: MetricWrapperBase, *labels: str) -> Any:
    """``metric.labels(*labels)``, made once: prometheus-client looks a child up under a lock at every call."""
    return metric.labels(*labels)


# --- HTTP --------------------------------------------------------------------------------------------

#: Seconds: from a cache hit (a few ms) to a request stuck on a dependency's timeout.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "orderflow_http_requests",
    "HTTP requests answered, by method, URL pattern (route) and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "orderflow_http_request_duration_seconds",
    "Time from the request reaching Django's middleware to its response, by method, URL pattern and status code.",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)

# --- Buses -------------------------------------------------------------------------------------------

BUS_DISPATCH = Counter(
    "orderflow_bus_dispatch",
    "Commands and queries dispatched, by bus (command, query), message class and outcome "
    "(ok; rejected: an Err such as a refused or invalid request; error: an exception).",
    ["bus", "message", "outcome"],
)
BUS_DISPATCH_DURATION = Histogram(
    "orderflow_bus_dispatch_duration_seconds",
    "Time a command or query spends on its bus, middleware and handler included.",
    ["bus", "message"],
    buckets=HTTP_BUCKETS,
)

# --- Outbox ------------------------------------------------------------------------------------------

OUTBOX_PUBLISHED = Counter("orderflow_outbox_published", "Outbox entries the broker confirmed.")
OUTBOX_PUBLISH_FAILURES = Counter(
    "orderflow_outbox_publish_failures",
    "Outbox entries that failed to publish: retry (backing off) or dead (out of attempts; the stream is parked).",
    ["outcome"],
)
OUTBOX_BROKER_UNAVAILABLE = Counter(
    "orderflow_outbox_broker_unavailable",
    "Outbox batches abandoned because the events broker could not be reached (no entry counts an attempt).",
)

# --- Consumers ---------------------------------------------------------------------------------------

WEBHOOK_ATTEMPTS = Counter(
    "orderflow_webhook_attempts",
    "Webhook requests sent, by outcome (succeeded: 2xx; gone: 410; throttled: 429 or 503; failed: any other "
    "status or no answer).",
    ["outcome"],
)
WEBHOOK_ATTEMPT_DURATION = Histogram(
    "orderflow_webhook_attempt_duration_seconds",
    "Time one webhook request took, from the destination check to the last byte read, by outcome.",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
WEBHOOK_PAYLOADS_TOO_LARGE = Counter(
    "orderflow_webhook_payloads_too_large",
    "Events not delivered to any endpoint because their body exceeds WEBHOOKS_MAX_PAYLOAD_BYTES.",
)

CONSUMER_EVENTS = Counter(
    "orderflow_consumer_events",
    "Events taken off a consumer's queue, by consumer and outcome (handled; duplicate: the inbox had it; "
    "retried: failed and requeued; dead: dead-lettered).",
    ["consumer", "outcome"],
)
#: Seconds: a healthy consumer keeps up within a second; beyond a minute it is falling behind.
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
CONSUMER_LAG = Histogram(
    "orderflow_consumer_lag_seconds",
    "Time from an event's occurred_at to its handling by a consumer.",
    ["consumer"],
    buckets=LAG_BUCKETS,
)

# --- Rate limits, webhooks, caches -------------------------------------------------------------------

RATE_LIMIT_REJECTIONS = Counter(
    "orderflow_rate_limit_rejections",
    "Requests answered 429 by a rate limit, by budget (auth.token, auth.register, writes, admin.login).",
    ["scope"],
)
PAYMENT_WEBHOOKS = Counter(
    "orderflow_payment_webhooks",
    "Payment webhook requests by outcome: processed, ignored, failed, waiting, crashed, duplicate (an event "
    "already settled), bad_signature, malformed, unsupported_media_type.",
    ["outcome"],
)
CACHE_REQUESTS = Counter(
    "orderflow_cache_requests",
    "Reads through the read cache by cache policy (layer) and result: hit (from process memory or Redis) "
    "or miss (loaded from the database).",
    ["layer", "result"],
)

# --- Audit -------------------------------------------------------------------------------------------

# "mostrecent": with PROMETHEUS_MULTIPROC_DIR the value of the latest verification wins, whichever process ran
# it, and it outlives that process (verify_audit_chain is a short command): the api's /metrics still shows it.
# Both are registered by the first verification only (record_audit_verification): a process that never verified
# has no verdict to give, and exporting prometheus-client's initial 0 would read as a broken chain.
AUDIT_CHAIN_INTACT = Gauge(
    "orderflow_audit_chain_intact",
    "1 when the last verify_audit_chain found every sealed link intact, 0 when it found a broken one.",
    multiprocess_mode="mostrecent",
    registry=None,
)
AUDIT_CHAIN_VERIFIED = Gauge(
    "orderflow_audit_chain_verified_timestamp_seconds",
    "Unix time at which verify_audit_chain last finished walking the chain.",
    multiprocess_mode="mostrecent",
    registry=None,
)
_verdict_lock = threading.Lock()
_verdict_exported = False


def record_audit_verification(*, intact: bool) -> None:
    """Set the audit chain's verdict and its time; the two gauges appear in this process's output from now on.

    (With a multiprocess directory their values are files, read whatever the registry: written, they appear.)
    """
    global _verdict_exported
    with _verdict_lock:
        if not _verdict_exported:
            for gauge in (AUDIT_CHAIN_INTACT, AUDIT_CHAIN_VERIFIED):
                REGISTRY.register(gauge)
            _verdict_exported = True
        AUDIT_CHAIN_INTACT.set(1 if intact else 0)
        AUDIT_CHAIN_VERIFIED.set(time.time())


# --- The sampler -------------------------------------------------------------------------------------

METRICS_SAMPLE_ERRORS = Counter(
    "orderflow_metrics_sample_errors",
    "Samples of the database and broker gauges that failed, by sampler (outbox, audit, dead_letters, ...); "
    "the gauges of a failed sampler are missing until it succeeds again.",
    ["sampler"],
)


@dataclass(frozen=True)
class SampledGauge:
    """A gauge computed by the sampler from the database or the broker, not recorded by the code paths."""

    name: str
    help: str


OUTBOX_PENDING = SampledGauge("orderflow_outbox_pending", "Outbox entries waiting to be published.")
OUTBOX_OLDEST_PENDING_AGE = SampledGauge(
    "orderflow_outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox entry waiting to be published (0 when none is).",
)
OUTBOX_DEAD = SampledGauge(
    "orderflow_outbox_dead", "Outbox entries out of attempts, parking their aggregate's stream until requeued."
)
DEAD_LETTERS = SampledGauge(
    "orderflow_dead_letters",
    "Events a consumer gave up on (delivery failures in status dead), waiting for an operator to requeue them.",
)
DEAD_LETTER_QUEUE_MESSAGES = SampledGauge(
    "orderflow_dead_letter_queue_messages",
    "Messages held in RabbitMQ's dead-letter queue (bounded by its operator policy; absent on other brokers).",
)
AUDIT_UNSEALED_OLDEST_AGE = SampledGauge(
    "orderflow_audit_unsealed_oldest_age_seconds",
    "Age of the oldest audit entry waiting for the sealer (0 when none is).",
)
WEBHOOK_DELIVERIES_DUE = SampledGauge(
    "orderflow_webhook_deliveries_due",
    "Webhook deliveries due to be sent now (first attempts and retries) to enabled endpoints.",
)
WEBHOOK_OLDEST_DUE_AGE = SampledGauge(
    "orderflow_webhook_oldest_due_age_seconds",
    "How long the longest-waiting due webhook delivery has been due (0 when none is).",
)
WEBHOOK_ENDPOINTS_AUTO_DISABLED = SampledGauge(
    "orderflow_webhook_endpoints_auto_disabled",
    "Webhook endpoints disabled by orderflow (their receiver answered 410 Gone, or failed for "
    "WEBHOOKS_DISABLE_AFTER_DAYS in a row); those a person disabled are not counted.",
)
SAMPLE_TIMESTAMP = SampledGauge(
    "orderflow_metrics_sample_timestamp_seconds", "Unix time at which the sampled gauges were computed."
)

SAMPLED = (
    OUTBOX_PENDING,
    OUTBOX_OLDEST_PENDING_AGE,
    OUTBOX_DEAD,
    DEAD_LETTERS,
    DEAD_LETTER_QUEUE_MESSAGES,
    AUDIT_UNSEALED_OLDEST_AGE,
    WEBHOOK_DELIVERIES_DUE,
    WEBHOOK_OLDEST_DUE_AGE,
    WEBHOOK_ENDPOINTS_AUTO_DISABLED,
    SAMPLE_TIMESTAMP,
)
