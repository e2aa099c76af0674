"""Throttling of failed sign-ins and of bearer-token guessing: sliding-window limiters.

Each rule allows ``limit`` events per ``window`` seconds and key (a user name, a client address).
Only the newest ``limit`` events of a key are kept, so a key costs at most ``limit`` floats, and the
number of keys is capped (expired keys are swept, then the oldest are dropped).

The limiters are hand-written on purpose: the maintained library for this, ``limits``, fits the
counting but reads the wall clock itself (its own tests freeze time by patching), its in-memory
storage runs a background expiry timer, and its shared storages are Redis, Memcached and MongoDB,
not the SQL store a deployment already has; what is needed here is a few dozen lines each with an
injectable clock.

:class:`SlidingWindowLimiter` keeps the counts in one process's memory (for tests and single
processes); a serving app counts in its store (:class:`.ratelimit_stored.StoredLimiter`), so that
several workers or replicas share one allowance and a restart forgets nothing. Client addresses
are what the ASGI server reports: behind a reverse proxy, uvicorn must trust the
proxy's ``X-Forwarded-For`` (``--forwarded-allow-ips``), or every client shares the proxy's address.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import RateLimitedError

if TYPE_CHECKING:
    from ..store.db import Store

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` events per ``window`` seconds per key; ``name`` keeps rules' keys apart."""

    name: str
    limit: int
    window: float


SIGNIN_PER_USER = Rule("signin-user", 5, 15 * 60)
SIGNIN_PER_ADDRESS = Rule("signin-address", 20, 15 * 60)
TOKEN_PER_ADDRESS = Rule("token-address", 20, 60)


def refusal(wait: float) -> RateLimitedError:
    """The error for a key that may try again in ``wait`` seconds."""
    return RateLimitedError(
        f"too many failed attempts; try again in {math.ceil(wait)} seconds", retry_after=math.ceil(wait)
    )


class Limiter(Protocol):
    """Sliding-window counts per (rule, key): in memory or in the store."""

    def check(self, *pairs: tuple[Rule, str]) -> None:
        """:class:`RateLimitedError` if any (rule, key) is at its limit; records nothing."""

    def hit(self, *pairs: tuple[Rule, str]) -> None:
        """Record one event for each (rule, key)."""

    def acquire(self, *pairs: tuple[Rule, str]) -> None:
        """Check, then record, as one step."""

    def refund(self, rule: Rule, key: str) -> None:
        """Take back the newest event of (rule, key)."""

    def reset(self, rule: Rule, key: str) -> None:
        """Forget every event of (rule, key)."""


class SlidingWindowLimiter:
    """Thread-safe sliding-window counts per (rule, key), on an injectable monotonic clock."""

    def __init__(self, *, clock: Clock = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], tuple[Rule, deque[float]]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def _wait(self, rule: Rule, key: str, now: float) -> float:
        """Seconds until ``key`` may have another event under ``rule``; 0 if it may now."""
        entry = self._events.get((rule.name, key))
        if entry is None:
            return 0.0
        events = entry[1]
        while events and events[0] <= now - rule.window:
            events.popleft()
        if not events:
            del self._events[(rule.name, key)]
            return 0.0
        return events[0] + rule.window - now if len(events) >= rule.limit else 0.0

    def _record(self, rule: Rule, key: str, now: float) -> None:
        entry = self._events.get((rule.name, key))
        if entry is None:
            if len(self._events) >= self._max_keys:
                self._make_room(now)
            entry = self._events[(rule.name, key)] = (rule, deque(maxlen=rule.limit))
        entry[1].append(now)

    def _make_room(self, now: float) -> None:
        """Drop expired keys; if that frees under a tenth of the room, drop the oldest keys too."""
        for pair, (rule, events) in list(self._events.items()):
            if not events or events[-1] <= now - rule.window:
                del self._events[pair]
        while len(self._events) > self._max_keys * 9 // 10:
            del self._events[next(iter(self._events))]

    def check(self, *pairs: tuple[Rule, str]) -> None:
        """:class:`RateLimitedError` if any (rule, key) is at its limit; records nothing."""
        with self._lock:
            now = self._clock()
            wait = max((self._wait(rule, key, now) for rule, key in pairs), default=0.0)
        if wait > 0:
            raise refusal(wait)

    def hit(self, *pairs: tuple[Rule, str]) -> None:
        """Record one event for each (rule, key)."""
        with self._lock:
            now = self._clock()
            for rule, key in pairs:
                self._record(rule, key, now)

    def acquire(self, *pairs: tuple[Rule, str]) -> None:
        """:meth:`check`, then :meth:`hit`, as one step (concurrent attempts cannot overshoot a limit)."""
        with self._lock:
            now = self._clock()
            wait = max((self._wait(rule, key, now) for rule, key in pairs), default=0.0)
            if wait <= 0:
                for rule, key in pairs:
                    self._record(rule, key, now)
        if wait > 0:
            raise refusal(wait)

    def refund(self, rule: Rule, key: str) -> None:
        """Take back the newest event of (rule, key), e.g. when an acquired attempt succeeded."""
        with self._lock:
            entry = self._events.get((rule.name, key))
            if entry is not None and entry[1]:
                entry[1].pop()

    def reset(self, rule: Rule, key: str) -> None:
        """Forget every event of (rule, key)."""
        with self._lock:
            self._events.pop((rule.name, key), None)


def client_key(host: str | None) -> str:
    """The key of a client address: the IPv4 address, or the /64 network of an IPv6 one."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def user_key(name: str) -> str:
    """The key of a user name as typed: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


class AuthThrottle:
    """The server's policy: failed sign-ins per user and per address, failed bearer tokens per address.

    Sign-ins are slow (Argon2), so an attempt is counted before the password is checked and taken
    back if it was right; a success also clears the user's count. Bearer tokens are checked on every
    request, so only failures are counted (concurrent guesses may overshoot by the requests in flight).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        signin_per_user: Rule = SIGNIN_PER_USER,
        signin_per_address: Rule = SIGNIN_PER_ADDRESS,
        token_per_address: Rule = TOKEN_PER_ADDRESS,
    ) -> None:
        """Count in ``store`` (shared by every process serving it) if given, else in this process's memory."""
        self.limiter: Limiter
        if store is not None:
            from .ratelimit_stored import StoredLimiter

            self.limiter = StoredLimiter(store, clock=clock or time.time)
        else:
            self.limiter = SlidingWindowLimiter(clock=clock or time.monotonic)
        self.signin_per_user = signin_per_user
        self.signin_per_address = signin_per_address
        self.token_per_address = token_per_address

    def signin_attempt(self, user: str, address: str) -> None:
        """Count a sign-in attempt, or :class:`RateLimitedError` if the user or address is throttled."""
        self.limiter.acquire((self.signin_per_user, user_key(user)), (self.signin_per_address, address))

    def signin_succeeded(self, user: str, address: str) -> None:
        """The attempt was right: it does not count, and the user's failures are forgiven."""
        self.limiter.reset(self.signin_per_user, user_key(user))
        self.limiter.refund(self.signin_per_address, address)

    def token_check(self, address: str) -> None:
        """:class:`RateLimitedError` if this address sent too many bad tokens lately."""
        self.limiter.check((self.token_per_address, address))

    def token_failed(self, address: str) -> None:
        """Count a bad bearer token from this address."""
        self.limiter.hit((self.token_per_address, address))
