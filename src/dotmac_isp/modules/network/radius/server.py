"""The RADIUS server: asyncio UDP on the auth and accounting ports.

Access-Requests are answered at once from memory. Accounting-Requests are collected for a few
milliseconds (or up to acct_batch_max), written in one transaction in a worker thread, and
answered only after that commit. Unknown NASes and malformed packets are dropped and counted;
nothing a datagram contains can stop the loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import exc as sa_exc

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import accounting, coa, records, signals, telemetry
from dotmac_isp.modules.network.radius.authn import Authenticator, postauth_row
from dotmac_isp.modules.network.radius.cache import PolicyCache, Update
from dotmac_isp.modules.network.radius.postauth import PostAuthLog
from dotmac_isp.modules.network.radius.refresh import Refresher
from dotmac_isp.modules.network.radius.store import OpenSession
from dotmac_isp.modules.network.radius.udp import (
    PACKETS,
    Counters,
    DuplicateCache,
    bind_udp,
    protocol_factory,
    spread_by_identifier,
)
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import MalformedPacket
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
__all__ = ["PACKETS", "DuplicateCache", "RadiusServer"]
PENDING = b""  # dedup marker: an accounting request whose batch has not committed yet
# What the database says of a value it will not store (not of a lost connection): the COPY
# into PostgreSQL raises the driver's own errors, the statements SQLAlchemy's.
REFUSED = (sa_exc.DataError, sa_exc.IntegrityError, psycopg.DataError, psycopg.IntegrityError,
           sqlite3.DataError, sqlite3.IntegrityError)


class RadiusServer:
    def __init__(self, settings: Settings, database: Database, *, reuse_port: bool = False,
                 worker: int | None = None, tracer_provider: TracerProvider | None = None):
        self.settings = settings
        self.radius = settings.radius
        self.database = database
        self.reuse_port = reuse_port
        self.worker = worker
        # Another process may store the sessions this one must count for simultaneous use.
        self.shared_sessions = reuse_port or self.radius.processes > 1 or bool(
            settings.redis_url)
        self.cache = PolicyCache(database, settings)
        self.authenticator = Authenticator(self.cache, self.radius)
        self.auth_counts, self.acct_counts = Counters("auth"), Counters("acct")
        self.duplicates = DuplicateCache(self.radius.duplicate_cache_seconds,
                                         self.radius.duplicate_cache_entries)
        self.postauth = PostAuthLog(database, enabled=self.radius.postauth_log)
        self.telemetry = telemetry.Telemetry(self.radius.trace_sample_ratio, tracer_provider)
        self.refresher = Refresher(self.cache, settings, self.load, self.shared_sessions)
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="radius-load")
        self._writer = ThreadPoolExecutor(self.radius.acct_writers,
                                          thread_name_prefix="radius-acct")
        self._batch: list[Pending] = []
        self._batch_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._transports: list[asyncio.DatagramTransport] = []
        self.auth_transport: asyncio.DatagramTransport | None = None
        self.acct_transport: asyncio.DatagramTransport | None = None
        self.auth_port = self.radius.auth_port
        self.acct_port = self.radius.acct_port

    # Lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.cache.apply(await loop.run_in_executor(self._loader, self.cache.load_all))
        gc.freeze()  # the cache is long-lived: keep it out of the collector's way
        coa.start_dispatcher(self.settings)
        for port, handler in ((self.radius.auth_port, self._on_auth),
                              (self.radius.acct_port, self._on_acct)):
            sock = bind_udp(self.radius.host, port, self.radius.receive_buffer_bytes,
                            self.reuse_port)
            if self.reuse_port and self.radius.processes > 1:
                spread_by_identifier(sock, self.radius.processes)
            transport, _ = await loop.create_datagram_endpoint(protocol_factory(handler),
                                                               sock=sock)
            self._transports.append(transport)
        self.auth_transport, self.acct_transport = self._transports
        self.auth_port = self.auth_transport.get_extra_info("sockname")[1]
        self.acct_port = self.acct_transport.get_extra_info("sockname")[1]
        self._batch_ready = asyncio.Event()
        self.refresher.start(loop)
        writers = [self._acct_writer() for _ in range(self.radius.acct_writers)]
        self._tasks = [asyncio.create_task(c) for c in (
            *writers, self.refresher.run(), self.postauth.run(), self._housekeeping())]
        telemetry.announce(self.worker)
        log.info("RADIUS server listening", extra={
            "host": self.radius.host, "auth_port": self.auth_port, "acct_port": self.acct_port,
            "worker": self.worker, "pid": os.getpid(),
            "nas": len(self.cache.nas), "subscribers": len(self.cache.profiles)})

    async def stop(self) -> None:
        for transport in self._transports:
            transport.close()
        self.refresher.stop()
        await self._drain_batch()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.postauth.flush()
        self._loader.shutdown(wait=False)
        self._writer.shutdown(wait=True)
        self.telemetry.shutdown()

    async def load(self, fn: Callable[[], Update | None]) -> None:
        """Run a cache load in the loader thread and apply what it found."""
        update = await asyncio.get_running_loop().run_in_executor(self._loader, fn)
        if update is not None:
            self.cache.apply(update)
            if update.full:
                gc.freeze()

    # Access-Request ---------------------------------------------------------------------

    def _on_auth(self, data: bytes, addr: Any) -> None:
        started = time.perf_counter()
        traced = self.telemetry.sampled()
        counts = self.auth_counts
        nas = self.cache.nas.lookup(addr[0])
        if nas is None:
            counts.inc("unknown_nas")
            return
        key = DuplicateCache.key(addr, data)
        cached = self.duplicates.get(key)
        if cached is not None:
            counts.inc("duplicate")
            if cached:
                self.auth_transport.sendto(cached, addr)  # type: ignore[union-attr]
            return
        try:
            request = codec.decode(data)
            outcome = self.authenticator.handle(request, nas)
        except (MalformedPacket, ValueError, KeyError, TypeError, IndexError):
            counts.inc("malformed")
            return
        except Exception:
            log.exception("Access-Request failed", extra={"nas": nas.name})
            counts.inc("error")
            return
        if outcome.reply is None:
            counts.inc(outcome.drop_reason)
            return
        self.auth_transport.sendto(outcome.reply, addr)  # type: ignore[union-attr]
        self.duplicates.put(key, outcome.reply)
        result = "accept" if outcome.accepted else "reject"
        counts.inc(result)
        seconds = time.perf_counter() - started
        self.telemetry.auth_seconds.observe(seconds)
        if traced:
            self.telemetry.span(telemetry.CODES.get(request.code, "RADIUS"), seconds, {
                "radius.code": request.code, "radius.nas": nas.name,
                "radius.result": result, "radius.reason": outcome.reason,
                "dotmac.tenant_id": str(nas.tenant_id), "net.peer.ip": addr[0],
                "dotmac.radius.worker": self.worker})
        if outcome.username:
            self.postauth.add(postauth_row(outcome, nas, request, utcnow()))

    # Accounting-Request -----------------------------------------------------------------

    def _on_acct(self, data: bytes, addr: Any) -> None:
        started = time.perf_counter()
        counts = self.acct_counts
        nas = self.cache.nas.lookup(addr[0])
        if nas is None:
            counts.inc("unknown_nas")
            return
        key = DuplicateCache.key(addr, data)
        cached = self.duplicates.get(key)
        if cached is not None:
            counts.inc("duplicate")
            if cached:
                self.acct_transport.sendto(cached, addr)  # type: ignore[union-attr]
            return
        if len(self._batch) >= self.radius.acct_queue_limit:
            counts.inc("overloaded")  # unanswered: the NAS sends it again later
            return
        try:
            request = codec.decode(data)
            if request.code != codec.ACCOUNTING_REQUEST:
                counts.inc("unexpected_code")
                return
            if not codec.request_authenticator_ok(request, nas.secret) or (
                    request.ma_offset and not codec.message_authenticator_ok(request,
                                                                             nas.secret)):
                counts.inc("bad_authenticator")
                return
            profiles = self.cache.profiles
            record = records.from_request(
                request, nas.tenant_id, nas.id, addr[0], utcnow(),
                lambda name: getattr(profiles.get((nas.tenant_id, name)), "subscription_id",
                                     None))
            reply = codec.response(codec.ACCOUNTING_RESPONSE, request, nas.secret)
        except (MalformedPacket, ValueError, KeyError, TypeError, IndexError):
            counts.inc("malformed")
            return
        self.duplicates.put(key, PENDING)
        self._batch.append(Pending(record, reply, addr, key, started,
                                   nas.name if self.telemetry.sampled() else None))
        self._batch_ready.set()

    async def _acct_writer(self) -> None:
        while True:
            await self._batch_ready.wait()
            if len(self._batch) < self.radius.acct_batch_max and self.radius.acct_batch_ms:
                await asyncio.sleep(self.radius.acct_batch_ms / 1000)
            await self._write_batch()

    async def _write_batch(self) -> None:
        batch = self._batch[: self.radius.acct_batch_max]
        del self._batch[: len(batch)]
        if not self._batch:
            self._batch_ready.clear()
        if not batch:
            return
        error = await self._commit(batch)
        if error is None:
            return
        if len(batch) > 1 and isinstance(error, REFUSED):
            # A value the database refuses must not cost the batch's other records their
            # answer: the NAS would resend them all, into batches that fail the same way.
            log.warning("accounting batch refused; storing its records one by one",
                        extra={"records": len(batch), "error": str(error)})
            for item in batch:
                refused = await self._commit([item])
                if refused is not None:
                    self._failed([item], refused)
            return
        self._failed(batch, error)

    async def _commit(self, batch: list[Pending]) -> BaseException | None:
        """Store and answer a batch; the error, if it could not be stored."""
        loop = asyncio.get_running_loop()
        recs = [item.record for item in batch]
        try:
            written = await loop.run_in_executor(self._writer, self._store, recs)
        except Exception as exc:
            return exc
        transport = self.acct_transport
        for item in batch:
            if transport is not None and not transport.is_closing():
                transport.sendto(item.reply, item.addr)
            self.duplicates.put(item.key, item.reply)
        self.acct_counts.inc("stored", len(batch))
        self._observe_batch(batch)
        self._track_sessions(written)
        return None

    def _failed(self, batch: list[Pending], error: BaseException) -> None:
        # Unanswered: the NAS retransmits and a later batch stores it.
        log.error("accounting batch failed", exc_info=error, extra={"records": len(batch)})
        for item in batch:
            self.duplicates.forget(item.key)
        self.acct_counts.inc("store_failed", len(batch))
        self._trace_batch(batch, "store_failed")

    def _store(self, recs: list[accounting.AcctRecord]) -> accounting.Written:
        with self.database.unit_of_work() as session:
            return accounting.write_batch(session, recs)

    def _observe_batch(self, batch: list[Pending]) -> None:
        now, wall = time.perf_counter(), utcnow()
        answered, lag = self.telemetry.acct_seconds.observe, telemetry.ACCT_LAG_SECONDS.observe
        for item in batch:
            answered(now - item.started)
            lag(max(0.0, (wall - item.record.event_time).total_seconds()))
        self._trace_batch(batch, "stored")

    def _trace_batch(self, batch: list[Pending], result: str) -> None:
        now = time.perf_counter()
        for item in batch:
            if item.traced_nas is not None:
                r = item.record
                self.telemetry.span("Accounting-Request", now - item.started, {
                    "radius.code": codec.ACCOUNTING_REQUEST, "radius.nas": item.traced_nas,
                    "radius.acct_status_type": r.status.name, "radius.result": result,
                    "dotmac.tenant_id": str(r.tenant_id), "net.peer.ip": item.addr[0],
                    "dotmac.radius.worker": self.worker}, error=result != "stored")

    async def _drain_batch(self) -> None:
        while self._batch:
            await self._write_batch()

    def _track_sessions(self, written: accounting.Written) -> None:
        """Follow what the batch did in radacct, not what the packets asked for: a late
        Interim or a reordered Start on a stopped session leaves it offline."""
        online = self.cache.online
        opened_or_closed = bool(written.closed)
        for uid in written.closed:
            online.remove(uid)
        for uid, r in written.opened.items():
            if r.subscription_id is None and not self.cache.knows(r.tenant_id,
                                                                  r.username.lower()):
                continue  # not a user of ours: nothing to limit (see cache.apply)
            opened_or_closed = opened_or_closed or uid not in online.by_id
            online.add(OpenSession(r.tenant_id, r.username.lower(), uid, r.nas_id,
                                   r.columns.get("callingstationid")))
        if opened_or_closed and self.shared_sessions:
            signals.sessions_changed()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.duplicates.prune()


@dataclass(slots=True)
class Pending:
    """An Accounting-Request waiting for its batch to commit."""

    record: accounting.AcctRecord
    reply: bytes
    addr: Any
    key: bytes
    started: float  # perf_counter at arrival
    traced_nas: str | None  # set when the request is sampled for tracing
