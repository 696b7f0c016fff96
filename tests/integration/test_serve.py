"""`bid-panel serve` leaves nothing behind: every app process it started dies with it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bid_panel.core.sample import init_workspace


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split(") ", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and int(entry.name) != os.getpid() and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to list processes")
def test_serve_kills_every_app_process_when_it_stops(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "served-ws")
    port = _free_port()
    env = {**os.environ, "BID_PANEL_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "bid_panel", "serve", str(workspace), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    app_marker = f"bid_panel score {workspace.resolve()}"
    try:

        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        assert _wait_for(listening), "server did not start"

        async def connect() -> None:
            url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
            async with aiohttp.ClientSession() as session:
                for _ in range(3):  # browsers that disconnect at once
                    ws = await session.ws_connect(url)
                    await ws.close()
                ws = await session.ws_connect(url)  # one that stays
                await asyncio.to_thread(
                    _wait_for, lambda: len(_processes_mentioning(app_marker)) >= 1
                )
                assert _processes_mentioning(app_marker), "no app process was started"
                started = time.monotonic()
                server.send_signal(signal.SIGTERM)
                await asyncio.to_thread(server.wait, 20)
                print(f"server stopped in {time.monotonic() - started:.1f}s")

        asyncio.run(connect())
        assert server.returncode is not None
        assert _wait_for(lambda: not _processes_mentioning(app_marker), timeout=10), (
            f"left behind: {_processes_mentioning(app_marker)}"
        )
    finally:
        if server.poll() is None:
            server.kill()
