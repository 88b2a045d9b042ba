"""Benchmark of the event backbone: outbox -> RabbitMQ (publisher confirms) -> users_read.

Run it with ``python -m scripts.bench_outbox`` (``make bench-outbox``); see ``__main__``.
"""
