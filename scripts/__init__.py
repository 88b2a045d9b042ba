"""Developer scripts: ``python scripts/check_services.py``; ``python -m scripts.bench_outbox``."""
