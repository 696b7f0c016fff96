"""`bid-panel serve`: the same app in a browser, through textual-serve, on 127.0.0.1.

textual-serve starts one app process per browser tab. Known trap: when a browser
disconnects at once, that process can be left running at full CPU and deaf to SIGTERM.
So every app process runs in its own process group (a new session), is killed as a group
when its tab goes away or does not quit in time, and every group still alive when the
server stops is killed: `bid-panel serve` leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import shlex
import signal
import sys
from pathlib import Path

QUIT_GRACE_SECONDS = 3.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts only this machine can reach: the default, and the only safe choice."""
_groups: set[int] = set()
"""Process-group ids of the app processes this server started and has not reaped."""


def _kill_group(pgid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    _groups.discard(pgid)


def kill_all_groups() -> None:
    for pgid in list(_groups):
        _kill_group(pgid)


def _grouped_app_service():
    from textual_serve.app_service import AppService

    class GroupedAppService(AppService):
        async def _open_app_process(self, width: int = 80, height: int = 24):
            environment = self._build_environment(width=width, height=height)
            self._process = process = await asyncio.create_subprocess_shell(
                self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                start_new_session=True,  # its own process group, killable as one
            )
            _groups.add(process.pid)
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

        async def stop(self) -> None:
            try:
                # A stuck app (the disconnect-at-once trap) must still go: whatever the
                # polite quit does, the group is killed below.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(super().stop(), timeout=QUIT_GRACE_SECONDS)
            finally:
                process = getattr(self, "_process", None)
                if process is not None:
                    _kill_group(process.pid)

    return GroupedAppService


def app_command(workspace: str | None) -> str:
    parts = [sys.executable, "-m", "bid_panel"]
    if workspace:
        parts += ["score", str(Path(workspace).resolve())]
    return shlex.join(parts)


def exposure_warning(host: str) -> str | None:
    """What serving on `host` exposes, when it is not this machine only (else None)."""
    if host.strip().lower().strip("[]") in LOOPBACK_HOSTS:
        return None
    return (
        f"WARNING: serving on {host}, not 127.0.0.1. The served app has no authentication: "
        "anyone who can reach this port can open the panel's files (bids, prices, scores "
        "and the moderation record) and score or moderate as any panel member. Use it only "
        "on a network you trust, or serve on 127.0.0.1 and reach it through an SSH tunnel."
    )


def serve(args: argparse.Namespace) -> int:
    import textual_serve.server as server_module

    warning = exposure_warning(args.host)
    if warning is not None:
        print(warning, file=sys.stderr)

    # textual-serve builds AppService by name inside its websocket handler; pointing that
    # name at our subclass is the one seam it offers for process handling.
    server_module.AppService = _grouped_app_service()
    atexit.register(kill_all_groups)

    class GroupKillingServer(server_module.Server):
        def request_exit(self) -> None:
            # aiohttp's graceful shutdown waits up to a minute for open browser tabs; the
            # apps are what matters, so kill their groups and leave at once.
            kill_all_groups()
            self.console.print("bid_panel serve stopped; every app process ended.")
            sys.stdout.flush()
            os._exit(0)

    server = GroupKillingServer(
        app_command(args.workspace), host=args.host, port=args.port, title="bid_panel"
    )
    try:
        server.serve()
    finally:
        kill_all_groups()
    return 0
