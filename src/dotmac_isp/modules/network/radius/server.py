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
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import accounting, coa, records, signals
from dotmac_isp.modules.network.radius.authn import Authenticator, postauth_row
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.network.radius.postauth import PostAuthLog
from dotmac_isp.modules.network.radius.store import OpenSession
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import MalformedPacket
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
PACKETS = metrics.counter("radius_packets_total", "RADIUS packets by port and outcome",
                          ["port", "outcome"])
PENDING = b""  # dedup marker: an accounting request whose batch has not committed yet
SESSION_RESYNC_SECONDS = 60.0


class Counters:
    """Pre-bound metric children: labels() costs more than the increment itself."""

    def __init__(self, port: str):
        self.port = port
        self._children: dict[str, Any] = {}

    def inc(self, outcome: str, amount: int = 1) -> None:
        child = self._children.get(outcome)
        if child is None:
            child = self._children[outcome] = PACKETS.labels(self.port, outcome)
        child.inc(amount)


class DuplicateCache:
    """Replies by (source, identifier, authenticator): a retransmission gets the same answer.

    Keys, replies and expiry times are bytes and floats in plain dicts, which the garbage
    collector does not track: a cache of a few hundred thousand entries then costs nothing at
    each collection (tuples would be scanned every time and show up as latency spikes)."""

    def __init__(self, seconds: float, limit: int = 200_000):
        self.seconds = seconds
        self.limit = limit
        self._replies: dict[bytes, bytes] = {}
        self._expires: dict[bytes, float] = {}

    @staticmethod
    def key(addr: Any, data: bytes) -> bytes:
        return f"{addr[0]}|{addr[1]}|".encode() + data[1:2] + data[4:20]

    def get(self, key: bytes) -> bytes | None:
        expires = self._expires.get(key)
        if expires is None or expires < time.monotonic():
            return None
        return self._replies.get(key)

    def put(self, key: bytes, reply: bytes) -> None:
        if self.seconds <= 0:
            return
        if len(self._expires) >= self.limit:
            for old in list(self._expires)[: self.limit // 10]:
                self.forget(old)
        if key in self._expires:
            del self._expires[key]  # re-insert: the order of _expires is the order of expiry
        self._expires[key] = time.monotonic() + self.seconds
        self._replies[key] = reply

    def forget(self, key: bytes) -> None:
        self._expires.pop(key, None)
        self._replies.pop(key, None)

    def prune(self) -> None:
        now, expires = time.monotonic(), self._expires
        while expires:
            key = next(iter(expires))
            if expires[key] >= now:
                break
            self.forget(key)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, Any], None]):
        self.handler = handler

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.handler(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("RADIUS socket error", extra={"error": str(exc)})


def _factory(handler: Callable[[bytes, Any], None]) -> Callable[[], _Protocol]:
    return lambda: _Protocol(handler)


def bind_udp(host: str, port: int, receive_buffer: int, reuse_port: bool = False
             ) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class RadiusServer:
    def __init__(self, settings: Settings, database: Database, *, reuse_port: bool = False):
        self.settings = settings
        self.radius = settings.radius
        self.database = database
        self.reuse_port = reuse_port
        self.cache = PolicyCache(database, settings)
        self.authenticator = Authenticator(self.cache, self.radius)
        self.auth_counts, self.acct_counts = Counters("auth"), Counters("acct")
        self.duplicates = DuplicateCache(self.radius.duplicate_cache_seconds)
        self.postauth = PostAuthLog(database, enabled=self.radius.postauth_log)
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="radius-load")
        self._writer = ThreadPoolExecutor(self.radius.acct_writers,
                                          thread_name_prefix="radius-acct")
        self._batch: list[tuple[accounting.AcctRecord, bytes, Any, bytes]] = []
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
        self._seen_version = signals.current()
        coa.start_dispatcher(self.settings)
        for port, handler in ((self.radius.auth_port, self._on_auth),
                              (self.radius.acct_port, self._on_acct)):
            sock = bind_udp(self.radius.host, port, self.radius.receive_buffer_bytes,
                            self.reuse_port)
            transport, _ = await loop.create_datagram_endpoint(_factory(handler), sock=sock)
            self._transports.append(transport)
        self.auth_transport, self.acct_transport = self._transports
        self.auth_port = self.auth_transport.get_extra_info("sockname")[1]
        self.acct_port = self.acct_transport.get_extra_info("sockname")[1]
        self._batch_ready = asyncio.Event()
        writers = [self._acct_writer() for _ in range(self.radius.acct_writers)]
        self._tasks = [asyncio.create_task(c) for c in (
            *writers, self._refresher(), self.postauth.run(), self._housekeeping())]
        log.info("RADIUS server listening", extra={
            "host": self.radius.host, "auth_port": self.auth_port, "acct_port": self.acct_port,
            "nas": len(self.cache.nas), "subscribers": len(self.cache.profiles)})

    async def stop(self) -> None:
        for transport in self._transports:
            transport.close()
        await self._drain_batch()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.postauth.flush()
        self._loader.shutdown(wait=False)
        self._writer.shutdown(wait=True)

    # Access-Request ---------------------------------------------------------------------

    def _on_auth(self, data: bytes, addr: Any) -> None:
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
        counts.inc("accept" if outcome.accepted else "reject")
        if outcome.username:
            self.postauth.add(postauth_row(outcome, nas, request, utcnow()))

    # Accounting-Request -----------------------------------------------------------------

    def _on_acct(self, data: bytes, addr: Any) -> None:
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
        self._batch.append((record, reply, addr, key))
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
        loop = asyncio.get_running_loop()
        recs = [item[0] for item in batch]
        try:
            await loop.run_in_executor(self._writer, self._store, recs)
        except Exception:
            # Unanswered: the NAS retransmits and the next batch stores it.
            log.exception("accounting batch failed", extra={"records": len(batch)})
            for *_rest, key in batch:
                self.duplicates.forget(key)
            self.acct_counts.inc("store_failed", len(batch))
            return
        transport = self.acct_transport
        for _record, reply, addr, key in batch:
            if transport is not None and not transport.is_closing():
                transport.sendto(reply, addr)
            self.duplicates.put(key, reply)
        self.acct_counts.inc("stored", len(batch))
        self._track_sessions(recs)

    def _store(self, recs: list[accounting.AcctRecord]) -> None:
        with self.database.unit_of_work() as session:
            accounting.write_batch(session, recs)

    async def _drain_batch(self) -> None:
        while self._batch:
            await self._write_batch()

    def _track_sessions(self, recs: list[accounting.AcctRecord]) -> None:
        online = self.cache.online
        for r in recs:
            if r.status in (AcctStatus.START, AcctStatus.INTERIM):
                online.add(OpenSession(r.tenant_id, r.username.lower(), r.acctuniqueid,
                                       r.nas_id, r.columns.get("callingstationid")))
            elif r.status == AcctStatus.STOP:
                online.remove(r.acctuniqueid)
            elif r.nas_id is not None:
                online.close_nas(r.nas_id)

    # Background -------------------------------------------------------------------------

    async def _refresher(self) -> None:
        loop = asyncio.get_running_loop()
        last_poll = last_full = last_sessions = time.monotonic()
        while True:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            version = signals.current()
            try:
                if now - last_full >= self.radius.full_reload_seconds:
                    last_full = last_poll = now  # a failed load is retried a period later
                    self.cache.apply(await loop.run_in_executor(self._loader,
                                                                self.cache.load_all))
                    gc.freeze()
                    # measured from the end: a load slower than the period never runs back
                    # to back with the next one
                    last_full = last_poll = time.monotonic()
                elif version != self._seen_version or now - last_poll >= \
                        self.radius.refresh_seconds:
                    self._seen_version, last_poll = version, now
                    update = await loop.run_in_executor(self._loader, self.cache.load_changes)
                    if update is not None:
                        self.cache.apply(update)
                if now - last_sessions >= SESSION_RESYNC_SECONDS:
                    last_sessions = now
                    self.cache.apply(await loop.run_in_executor(self._loader,
                                                                self.cache.load_sessions))
            except Exception:
                log.exception("RADIUS policy refresh failed; serving the last known policy")

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.duplicates.prune()
