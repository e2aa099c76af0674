"""Sliding-window counts kept in the store, shared by every process serving it (``--workers N``, replicas).

Events are rows of ``auth_event`` (rule, key, when on the limiter's clock: wall time by default, so
that processes and machines agree). Sign-in attempts are rare and slow (Argon2): each is decided and
counted in one write transaction (the store's write lock serialises them), so concurrent attempts in
any process never overshoot a limit. Bearer tokens are checked on every request: :meth:`check` reads a
snapshot of the keys at their limit, refreshed from the store at most every ``refresh`` seconds and
at once for a key this process has just counted, so a request costs no query and another process's
failures are seen within ``refresh`` seconds. Rows that left their rule's window are deleted when
events of that rule are written. Same interface and refusals as :class:`.ratelimit.SlidingWindowLimiter`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, insert, select

from ..store.db import Store
from ..store.locking import write_transaction
from ..store.schema import auth_event
from .ratelimit import Clock, Rule, refusal

_LOCK_KEY = "palermo-auth-throttle"


class StoredLimiter:
    """Thread- and process-safe sliding-window counts per (rule, key) in the store (see the module docstring)."""

    def __init__(self, store: Store, *, clock: Clock = time.time, refresh: float = 1.0) -> None:
        self._store = store
        self._clock = clock
        self._refresh = refresh
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], float] = {}
        """(rule, key) -> when it may have events again, for the keys at their limit."""
        self._loaded: dict[str, float] = {}
        """rule -> when its keys were last read from the store."""

    @staticmethod
    def _blocked_until(conn: Connection, rule: Rule, key: str, now: float) -> float:
        """When (rule, key) may have another event: 0 if it may now."""
        cols = auth_event.c
        newest = conn.execute(
            select(cols.at).where(cols.rule == rule.name, cols.key == key, cols.at > now - rule.window)
            .order_by(cols.at.desc()).limit(rule.limit)
        ).scalars().all()
        return float(newest[-1]) + rule.window if len(newest) >= rule.limit else 0.0

    def _note(self, conn: Connection, pairs: Iterable[tuple[Rule, str]], now: float) -> float:
        """Read the pairs' counts into the snapshot; the longest wait among them."""
        wait = 0.0
        for rule, key in pairs:
            until = self._blocked_until(conn, rule, key, now)
            if until > now:
                self._until[(rule.name, key)] = until
                wait = max(wait, until - now)
            else:
                self._until.pop((rule.name, key), None)
        return wait

    def _load(self, conn: Connection, rule: Rule, now: float) -> None:
        """Read every key of ``rule`` at its limit into the snapshot."""
        cols = auth_event.c
        full = conn.execute(
            select(cols.key).where(cols.rule == rule.name, cols.at > now - rule.window)
            .group_by(cols.key).having(func.count() >= rule.limit)
        ).scalars().all()
        for name, key in [pair for pair in self._until if pair[0] == rule.name]:
            del self._until[(name, key)]
        self._note(conn, [(rule, key) for key in full], now)
        self._loaded[rule.name] = now

    def check(self, *pairs: tuple[Rule, str]) -> None:
        """:class:`RateLimitedError` if any (rule, key) is at its limit (as of the snapshot); records nothing."""
        with self._lock:
            now = self._clock()
            stale = {rule.name: rule for rule, _ in pairs
                     if now - self._loaded.get(rule.name, -math.inf) >= self._refresh}
            if stale:
                with self._store.engine.connect() as conn:
                    for rule in stale.values():
                        self._load(conn, rule, now)
            wait = max((self._until.get((rule.name, key), 0.0) - now for rule, key in pairs), default=0.0)
        if wait > 0:
            raise refusal(wait)

    def _insert(self, conn: Connection, pairs: Iterable[tuple[Rule, str]], now: float) -> None:
        pairs = list(pairs)
        conn.execute(insert(auth_event), [{"rule": rule.name, "key": key, "at": now} for rule, key in pairs])
        for rule in {rule.name: rule for rule, _ in pairs}.values():
            conn.execute(delete(auth_event).where(auth_event.c.rule == rule.name, auth_event.c.at <= now - rule.window))

    def hit(self, *pairs: tuple[Rule, str]) -> None:
        """Record one event for each (rule, key)."""
        with self._lock, write_transaction(self._store, _LOCK_KEY) as conn:
            now = self._clock()
            self._insert(conn, pairs, now)
            self._note(conn, pairs, now)

    def acquire(self, *pairs: tuple[Rule, str]) -> None:
        """Check, then record, in one transaction under the write lock (no overshoot across processes)."""
        with self._lock, write_transaction(self._store, _LOCK_KEY) as conn:
            now = self._clock()
            wait = self._note(conn, pairs, now)
            if wait <= 0:
                self._insert(conn, pairs, now)
                self._note(conn, pairs, now)
        if wait > 0:
            raise refusal(wait)

    def refund(self, rule: Rule, key: str) -> None:
        """Take back the newest event of (rule, key)."""
        cols = auth_event.c
        with self._lock, write_transaction(self._store, _LOCK_KEY) as conn:
            newest = conn.execute(
                select(cols.id).where(cols.rule == rule.name, cols.key == key).order_by(cols.at.desc(), cols.id.desc())
                .limit(1)
            ).scalar()
            if newest is not None:
                conn.execute(delete(auth_event).where(cols.id == newest))
            self._note(conn, [(rule, key)], self._clock())

    def reset(self, rule: Rule, key: str) -> None:
        """Forget every event of (rule, key)."""
        with self._lock, write_transaction(self._store, _LOCK_KEY) as conn:
            conn.execute(delete(auth_event).where(auth_event.c.rule == rule.name, auth_event.c.key == key))
            self._until.pop((rule.name, key), None)
