"""The framework-free domain: the kernel and one package per bounded context.

Nothing here imports Django, DRF, Celery or any other third-party package; an
import-linter contract keeps it that way.
"""
