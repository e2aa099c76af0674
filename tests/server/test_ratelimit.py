"""The sliding-window limiters on their own (in memory and in the store): windows, Retry-After, refunds,
threads, bounded memory, keys; counts shared by two limiters over one store, as by two server processes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import BACKENDS, make_store

from palermo.errors import RateLimitedError
from palermo.server.ratelimit import Limiter, Rule, SlidingWindowLimiter, client_key, user_key
from palermo.server.ratelimit_stored import StoredLimiter
from palermo.store.db import Store

RULE = Rule("test", 3, 10)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Make = Callable[["Clock"], Limiter]


@pytest.fixture(params=["memory", *BACKENDS])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    """A limiter factory: in memory, or in a store (SQLite and PostgreSQL)."""
    if request.param == "memory":
        return lambda clock: SlidingWindowLimiter(clock=clock)
    store = make_store(request.param, tmp_path, request)
    request.addfinalizer(store.engine.dispose)
    return lambda clock: StoredLimiter(store, clock=clock)


def test_sliding_window_and_retry_after(make: Make) -> None:
    clock = Clock()
    limiter = make(clock)
    for at in (0.0, 4.0, 8.0):
        clock.now = at
        limiter.check((RULE, "k"))
        limiter.hit((RULE, "k"))
    clock.now = 9.0
    with pytest.raises(RateLimitedError) as refused:
        limiter.check((RULE, "k"))
    assert refused.value.retry_after == 1 and refused.value.code == "too_many_requests"
    limiter.check((RULE, "other"))
    limiter.check((Rule("another rule", 3, 10), "k"))  # rules count apart
    clock.now = 10.0  # the event at 0 left the window; the ones at 4 and 8 have not
    limiter.acquire((RULE, "k"))
    with pytest.raises(RateLimitedError) as again:
        limiter.check((RULE, "k"))
    assert again.value.retry_after == 4


def test_acquire_checks_every_key_and_records_only_when_allowed(make: Make) -> None:
    limiter = make(Clock())
    tight = Rule("tight", 1, 10)
    limiter.acquire((tight, "user"), (RULE, "address"))
    with pytest.raises(RateLimitedError):
        limiter.acquire((tight, "user"), (RULE, "address"))
    limiter.acquire((RULE, "address"))
    limiter.acquire((RULE, "address"))  # the third: the refused attempt above recorded nothing
    with pytest.raises(RateLimitedError):
        limiter.acquire((RULE, "address"))
    limiter.refund(RULE, "address")
    limiter.acquire((RULE, "address"))
    limiter.reset(tight, "user")
    limiter.acquire((tight, "user"))


def test_concurrent_acquires_never_overshoot(make: Make) -> None:
    limiter = make(Clock())
    passed: list[int] = []
    start = threading.Barrier(40)

    def attempt(i: int) -> None:
        start.wait()
        try:
            limiter.acquire((RULE, "k"))
        except RateLimitedError:
            return
        passed.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == RULE.limit


def test_two_processes_share_one_allowance(store: Store) -> None:
    clock = Clock()
    one, other = StoredLimiter(store, clock=clock, refresh=5), StoredLimiter(store, clock=clock, refresh=5)
    one.acquire((RULE, "alice"))
    other.acquire((RULE, "alice"))
    one.acquire((RULE, "alice"))
    with pytest.raises(RateLimitedError):  # the third attempt was counted by the other one
        other.acquire((RULE, "alice"))
    other.check((RULE, "198.51.100.7"))  # reads the store: nothing there yet
    for _ in range(3):
        one.hit((RULE, "198.51.100.7"))
    with pytest.raises(RateLimitedError):
        one.check((RULE, "198.51.100.7"))
    other.check((RULE, "198.51.100.7"))  # the other one's snapshot is fresh for 5 s ...
    clock.now = 5.0
    with pytest.raises(RateLimitedError) as refused:  # ... then it reads the store again
        other.check((RULE, "198.51.100.7"))
    assert refused.value.retry_after == 5
    other.reset(RULE, "alice")
    one.acquire((RULE, "alice"))
    clock.now = 10.0  # the first events left the window
    other.check((RULE, "198.51.100.7"))


def test_memory_is_bounded() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(clock=clock, max_keys=100)
    for i in range(50):
        limiter.hit((RULE, f"old {i}"))
    clock.now = 20.0  # those are expired: swept first
    for i in range(100):
        limiter.hit((RULE, f"new {i}"))
    assert len(limiter) == 100
    for i in range(500):
        limiter.hit((RULE, f"flood {i}"))
    assert len(limiter) <= 100
    limiter.hit((RULE, "flood 499"), (RULE, "flood 499"))
    with pytest.raises(RateLimitedError):  # the newest keys are kept
        limiter.check((RULE, "flood 499"))


def test_keys() -> None:
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert client_key("2001:db8:0:1::1") != client_key("2001:db8::1")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("testclient") == "testclient" and client_key(None) == "unknown"
    assert user_key("  Alice   Smith ") == user_key("alice smith")
