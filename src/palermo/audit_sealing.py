"""Sealing the audit log in the background, so that a busy server seals once for many requests.

Sealing (:func:`palermo.audit.seal`) takes the chain's lock, reads the last sealed entry and the
pending ones and writes their hashes: four statements. Done after every audited request, it is a
third of the cost of a case read or an identifier query. While a :class:`BackgroundSealer` runs,
an audited write commits its entry and asks the sealer to run; the sealer waits ``delay`` seconds
to gather the requests that arrive meanwhile, then seals them all at once. An entry so waits
unsealed for about ``delay`` (0.05 s by default) instead of a few milliseconds; an entry left
pending by a crash is sealed by the next sealer or by ``palermo audit verify``.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from .audit import seal
from .store.db import Store

log = logging.getLogger(__name__)


class BackgroundSealer:
    """A thread sealing ``store``'s audit log shortly after each audited write; a context manager."""

    def __init__(self, store: Store, *, delay: float = 0.05) -> None:
        self._store = store
        self._delay = delay
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="palermo-audit-sealer", daemon=True)

    def request(self) -> None:
        """Ask for a seal soon (called after an audited write commits)."""
        self._wanted.set()

    def start(self) -> BackgroundSealer:
        """Start sealing in the background; audited writes on the store now defer to it."""
        if self._store.seal_soon:
            raise RuntimeError("this store already has a background sealer")
        self._thread.start()
        self._store.seal_soon.append(self.request)
        return self

    def close(self) -> None:
        """Stop deferring, stop the thread and seal whatever is still pending."""
        if self.request in self._store.seal_soon:
            self._store.seal_soon.remove(self.request)
        self._stopping = True
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join()
        seal(self._store, wait=True)

    def __enter__(self) -> BackgroundSealer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stopping:
            self._wanted.wait()
            if self._stopping:
                return
            time.sleep(self._delay)  # gather the writes arriving meanwhile
            self._wanted.clear()
            try:
                seal(self._store, wait=True)
            except SQLAlchemyError:  # the database is away: try again in a while
                log.warning("sealing the audit log failed; it will be retried", exc_info=True)
                time.sleep(1.0)
                self._wanted.set()
