"""The read cache as the rest of the code sees it: policies, ``@cached_query`` and the query bus's caching.

What is cached, for how long and under which key is a ``CachePolicy``, stated
beside the reader it serves. Where it is kept is the ``ReadCache`` port: the
cache app (``apps.cache``) installs its two-level cache (process memory, then
Redis) when Django starts; until then, and whenever ``READ_CACHE_ENABLED`` is
off for a policy that can be switched off, every read goes to the database.

Invalidation comes from whoever changes what a policy caches: a projection
calls ``invalidate`` with the keys (and revisions) of the rows it wrote, an
access change ``invalidate`` with a user's key, a change that touches a whole
kind ``invalidate_all``. The cache app carries it to every process (ADR-0009).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar

from django.db import transaction

from domain.kernel.result import Ok, Result

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class CachePolicy:
    """How one kind of read is cached.

    ``name`` is the key prefix; ``version`` goes into every key, so a change of the
    cached shape is a new version rather than a flush. ``ttl`` (seconds) bounds how
    long an entry lives anywhere. ``shared``: kept in Redis too, for every process;
    off for what only this process may reuse (rendered pages). ``revision``, when
    given, reads a value's revision (a number that grows with every change of its
    row): an entry older than a revision this process has already seen is never
    served. ``switchable``: ``READ_CACHE_ENABLED=false`` turns it off (read models);
    access and grants stay cached, since writes re-check them at the source.
    """

    name: str
    ttl: float
    version: int = 1
    shared: bool = True
    revision: Callable[[Any], int] | None = None
    switchable: bool = True

    def key(self, *parts: Hashable) -> str:
        return ":".join((self.name, f"v{self.version}", *(str(part) for part in parts)))


class ReadCache(Protocol):
    """The port the cache app implements."""

    def enabled(self, policy: CachePolicy) -> bool: ...

    def get_or_load(self, policy: CachePolicy, key: str, load: Callable[[], Any]) -> Any:
        """The value under ``key``, else ``load()`` (run once per process for concurrent misses), kept unless None."""
        ...

    def invalidate(self, policy: CachePolicy, revisions: Mapping[str, int | None]) -> None:
        """Forget these keys everywhere; a revision given says no older value may be served again."""
        ...

    def invalidate_all(self, policy: CachePolicy) -> None:
        """Forget every entry of the policy everywhere."""
        ...


class NoCache:
    """Every read goes to its source: what runs before the cache app is ready, and in tests that need it."""

    def enabled(self, policy: CachePolicy) -> bool:
        return False

    def get_or_load(self, policy: CachePolicy, key: str, load: Callable[[], Any]) -> Any:
        return load()

    def invalidate(self, policy: CachePolicy, revisions: Mapping[str, int | None]) -> None:
        return None

    def invalidate_all(self, policy: CachePolicy) -> None:
        return None


_cache: ReadCache = NoCache()


def install(cache: ReadCache) -> ReadCache:
    """Make ``cache`` this process's read cache; returns the one it replaces."""
    global _cache
    previous, _cache = _cache, cache
    return previous


def read_cache() -> ReadCache:
    return _cache


def cached_query(policy: CachePolicy) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Cache what ``func(*args)`` answers under ``policy``, keyed by its positional arguments.

    None is never cached (a row not projected yet must be found as soon as it is).
    Keyword arguments are refused: a key must name everything the answer depends on.
    """

    def decorator(func: Callable[P, T]) -> Callable[P, T]:
        @wraps(func)
        def cached(*args: P.args, **kwargs: P.kwargs) -> T:
            if kwargs:
                raise TypeError(f"{func.__qualname__} is cached by its positional arguments only")
            return _cache.get_or_load(policy, policy.key(*args), lambda: func(*args))  # type: ignore[no-any-return]

        cached.policy = policy  # type: ignore[attr-defined]
        cached.uncached = func  # type: ignore[attr-defined]
        return cached

    return decorator


def invalidate(policy: CachePolicy, revisions: Mapping[Hashable, int | None]) -> None:
    """Forget the entries of ``policy`` keyed by these key parts (a tuple for several), now and again once the
    transaction commits.

    Now, so that this process stops serving them at once; after the commit, so that
    a read that raced the transaction cannot leave the old value behind.
    """
    if not revisions:
        return
    keys = {
        policy.key(*part) if isinstance(part, tuple) else policy.key(part): revision
        for part, revision in revisions.items()
    }
    _cache.invalidate(policy, keys)
    transaction.on_commit(lambda: _cache.invalidate(policy, keys))


def invalidate_all(policy: CachePolicy) -> None:
    _cache.invalidate_all(policy)
    transaction.on_commit(lambda: _cache.invalidate_all(policy))


def query_key(query: Any) -> tuple[Hashable, ...]:
    """A query's key parts: every field, in order (queries are frozen dataclasses; a policy serves one type)."""
    if not is_dataclass(query):
        raise TypeError(f"{type(query).__name__} is not a dataclass; it cannot be cached by its fields")
    return tuple(getattr(query, field.name) for field in fields(query))


class CachingMiddleware:
    """Query bus middleware: a query type given a policy answers from the cache within its TTL.

    It sits inside the authorization middleware, so a refused query never reaches
    it, and only ``Ok`` answers are kept. The key is the query's fields, so a policy
    serves one query type, and whoever changes the answer invalidates those fields.
    A query type without a policy passes through.
    """

    def __init__(self, policies: Mapping[type, CachePolicy]) -> None:
        self._policies = dict(policies)

    def __call__(self, query: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        policy = self._policies.get(type(query))
        if policy is None:
            return call_next(query)
        key = policy.key(*query_key(query))
        failed: list[Result[Any, Exception]] = []

        def load() -> Any:
            result = call_next(query)
            if isinstance(result, Ok):
                return result.value
            failed.append(result)
            return None

        value = _cache.get_or_load(policy, key, load)
        return failed[0] if failed else Ok(value)
