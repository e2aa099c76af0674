"""Running upload jobs in worker processes, away from the server's requests.

An ingestion is CPU work in Python and polars. On a thread of the server it shares the server's
interpreter lock with every request: one large file slows every answer, and under load the jobs
themselves crawl (a 20-row job took 20 s from upload to stored in ``bench/load.py``, its 50 ms of
work sliced among dozens of request threads). So jobs run in a pool of worker processes, started
with ``spawn`` (no copy of the server's threads) when the first job comes; each opens the store
once, by its URL. The server keeps the uploaded file for re-runs before handing the job over.

Workers run at a lower CPU priority (``WORKER_NICENESS``): on a machine with as many cores as
workers, two ingestions at once can take every core from the server's requests; requests come first,
jobs use what is left. (In ``bench/load.py`` the stalls that uploads brought came mostly from purging
kept files in the server, now done here in the workers; the priority alone changed little.)

A worker that dies (killed, out of memory) fails its job with a message to upload the file again,
and the next job gets a fresh pool; closing the runner waits for running jobs and fails queued ones.
A server whose whole process tree dies (killed, the machine stopped) cannot: :meth:`JobRunner.watch`
renews the leases of the jobs this server holds and takes up, from their kept files, the jobs whose
lease ran out (:mod:`.job_leases`), at start and every third of the lease.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from threading import Event, Lock, Thread

from ..errors import PalermoError
from ..settings import Settings
from ..standard.crosswalk import Crosswalk
from ..store.db import Store, open_store
from .job_leases import claim_orphans, renew
from .jobs import Job, Upload, copy_upload, fail_job, run_job
from .kept_files import keep_file, kept_file, purge_kept

log = logging.getLogger(__name__)

WORKER_NICENESS = 10
"""How much lower than the server the worker processes' CPU priority is (POSIX ``nice``)."""

_worker_stores: dict[str, Store] = {}
"""The stores a worker process has opened, by URL (one engine per process, reused by its jobs)."""


def _store_for(url: str) -> Store:
    """In a worker process: the store at ``url``, opened on first use."""
    store = _worker_stores.get(url)
    if store is None:
        store = _worker_stores[url] = open_store(url, migrate=False)
    return store


def _run_in_worker(
    url: str, job_id: int, upload: Upload, purpose: str, settings: Settings | None, crosswalk: Crosswalk | None,
    dry_run: bool,
) -> str:
    """In a worker process: run the job on the store at ``url``, then purge old kept files; the job's final status.

    The purge runs here, not in the server: a look through thousands of kept copies held the server's
    interpreter lock for over a second under load (every request waited).
    """
    status = run_job(
        _store_for(url), job_id, upload, purpose=purpose, settings=settings, crosswalk=crosswalk, dry_run=dry_run
    ).status
    try:
        purge_kept()
    except (OSError, PalermoError):
        log.warning("old kept uploads could not be purged", exc_info=True)
    return status


def _lower_priority() -> None:
    """In a worker process, as it starts: yield the CPU to the server's requests."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


def _warm(url: str) -> None:
    """In a worker process: import the ingestion code and open the store, ready for the first job."""
    import palermo.ingest.pipeline  # noqa: F401  (the import is the point: seconds of loading, done once)

    _store_for(url)


class JobRunner:
    """Runs upload jobs on ``workers`` worker processes (see the module docstring)."""

    def __init__(self, workers: int) -> None:
        self._workers = max(1, workers)
        self._pool = self._new_pool()
        self._waiting: dict[Future[str], tuple[Store, int, Upload]] = {}
        self._lock = Lock()
        self._stop = Event()
        self._watcher: Thread | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority
        )

    def warm_up(self, store: Store) -> None:
        """Start the worker processes now (in the background), not when the first job comes: a server
        that starts them mid-load stalls its requests while they load."""
        with self._lock:
            for _ in range(self._workers):
                self._pool.submit(_warm, store.url)

    def start(
        self,
        store: Store,
        job: Job,
        upload: Upload,
        *,
        purpose: str,
        settings: Settings | None,
        crosswalk: Crosswalk | None = None,
        dry_run: bool = False,
    ) -> None:
        """Keep a copy of the file for re-runs, then queue ``job`` (see :func:`.jobs.run_job`); the runner owns
        ``upload`` from now on."""
        try:
            keep_file(store, job.id, upload.path)
        except (OSError, PalermoError):
            log.warning("the file of upload job %s could not be kept for re-runs", job.id, exc_info=True)
        self._submit(store, job.id, upload, purpose, settings, crosswalk, dry_run)

    def _submit(
        self, store: Store, job_id: int, upload: Upload, purpose: str, settings: Settings | None,
        crosswalk: Crosswalk | None, dry_run: bool,
    ) -> None:
        arguments = (store.url, job_id, upload, purpose, settings, crosswalk, dry_run)
        try:
            with self._lock:
                try:
                    future = self._pool.submit(_run_in_worker, *arguments)
                except BrokenProcessPool:  # a worker died earlier: start afresh
                    self._pool = self._new_pool()
                    future = self._pool.submit(_run_in_worker, *arguments)
                self._waiting[future] = (store, job_id, upload)
        except RuntimeError:  # closed
            upload.discard()
            fail_job(store, job_id, "the server was stopping; upload the file again")
            raise
        future.add_done_callback(self._done)

    def watch(self, store: Store, settings: Settings) -> None:
        """Renew the leases of the jobs held here and take up orphaned ones, now and every third of the lease,
        in a background thread until :meth:`close`."""
        lease = settings.job_lease_seconds

        def loop() -> None:
            while True:
                try:
                    with self._lock:
                        held = [job_id for _store, job_id, _upload in self._waiting.values()]
                    renew(store, held, lease)
                    self.recover(store, settings)
                except Exception:  # the database may be down for a while: try again at the next turn
                    log.warning("upload job leases could not be renewed", exc_info=True)
                if self._stop.wait(lease / 3):
                    return

        self._watcher = Thread(target=loop, name="palermo-job-leases", daemon=True)
        self._watcher.start()

    def recover(self, store: Store, settings: Settings) -> list[int]:
        """Run again the jobs whose lease ran out, from their kept files (a job whose file is gone fails);
        the ids of the jobs taken up."""
        taken = []
        for orphan in claim_orphans(store, settings.job_lease_seconds):
            kept = kept_file(store, orphan.job_id)
            if kept is None:
                fail_job(store, orphan.job_id, "the server running this job stopped and its file is no longer "
                         "kept; upload the file again")
                continue
            log.warning("upload job %s: its server stopped; running it again", orphan.job_id)
            self._submit(store, orphan.job_id, copy_upload(kept), orphan.purpose, settings, orphan.crosswalk,
                         orphan.dry_run)
            taken.append(orphan.job_id)
        return taken

    def _done(self, future: Future[str]) -> None:
        with self._lock:
            entry = self._waiting.pop(future, None)
        if entry is None:
            return
        store, job_id, upload = entry
        if future.cancelled():
            upload.discard()
            fail_job(store, job_id, "the server stopped before the job ran; upload the file again")
        elif future.exception() is not None:
            upload.discard()
            log.error("upload job %s: its worker failed", job_id, exc_info=future.exception())
            fail_job(store, job_id, "the worker running this job stopped; upload the file again", running_too=True)

    def close(self) -> None:
        """Stop renewing leases; wait for running jobs; fail the queued ones."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
