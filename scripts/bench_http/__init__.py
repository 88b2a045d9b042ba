"""Benchmark of the read path over HTTP: orderflow's read endpoints beside three baselines, in one run.

Run it with ``python -m scripts.bench_http`` (``make bench-http``); what it does and prints is described
in ``__main__``. The rest:

- ``environment``: the run's database, Redis database, signing key and environment;
- ``settings``, ``urls``, ``baselines``, ``middleware``: what only the benchmark's server mounts (the
  baselines under ``/bench/``, the query counter);
- ``server``: gunicorn, one sync worker pinned to core 0;
- ``load``: wrk pinned to core 1 and its output, or the Python fallback;
- ``endpoints``: what is measured, on which server, and the ratios;
- ``phases``: seeding, the caller, the checks, the interleaved rounds;
- ``profiling``: one request under cProfile, with its SQL;
- ``machine``, ``report``: how busy the machine was; the table, docs/ops/performance.md and the chart;
- ``project``: orderflow's code and commands the benchmark relies on, in one place.
"""
