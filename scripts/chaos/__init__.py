"""Chaos run: orderflow's processes under load while its broker, database and Redis fail.

Run it with ``python -m scripts.chaos`` (``make chaos``); what it does and prints is described in
``__main__``, which parses the arguments, sets up and runs the scenarios in order. The rest:

- ``services``: the run's own PostgreSQL cluster, RabbitMQ node and Redis server;
- ``stack``: orderflow's processes (api, worker, beat, dispatcher, consumer) and their supervisor;
- ``load``: the customers writing over HTTP, the reader, the health probers; every request sampled;
- ``scenarios``: the faults, and the run of one scenario (load, fault, recovery, convergence);
- ``checks``: what became of every order, asked of the database (lost, mismatched, doubled);
- ``report``: progress lines, load average, the table.
"""
