"""A real HTTP server (uvicorn in a thread) on loopback, over a migrated SQLite file."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from dotmac_isp import db_migrate
from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.shared.db import Database


@dataclass
class LiveServer:
    url: str
    database: Database
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings, workdir: Path, *, own_public_url: bool = False,
                demo_file: Path | None = None, **updates: Any) -> Iterator[LiveServer]:
    """`own_public_url`: links the app builds for the outside (a gateway's return address)
    point at this server; `demo_file`: start from a copy of this seeded demo database (the
    `demo_sqlite_file` fixture); `updates` replace other settings."""
    url = f"sqlite:///{workdir / 'live.db'}"
    if demo_file is not None:
        shutil.copyfile(demo_file, workdir / "live.db")
    db_migrate.upgrade(url)
    port = _free_port()
    if own_public_url:
        updates["public_url"] = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(update={"database_url": url, **updates})
    database = Database.from_url(url)
    app = create_app(live_settings, database, configure_logs=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("live server did not start")
    try:
        yield LiveServer(base, database, live_settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()
