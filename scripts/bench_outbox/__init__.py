"""Benchmark of the event backbone: outbox -> RabbitMQ (publisher confirms) -> users_read.

Run it with ``python -m scripts.bench_outbox`` (``make bench-outbox``); what it does and prints is
described in ``__main__``, which parses the arguments and runs the phases in order. The rest:

- ``environment``: the bench database and broker objects, and the Django configuration;
- ``probes``: SQL statements by kind, the dispatcher's phases, CPU per process group;
- ``roles``: the consumer and dispatcher child processes, and ``Child``, the parent's handle on one;
- ``phases``: raw publish baseline, outbox drain (and its diagnostic), commit -> users_read lag;
- ``report``: progress lines, where the time went, the figures beside the targets;
- ``project``: every import of orderflow's own code (``apps.*``, ``domain.*``), made on call.
"""
