"""`bid-panel serve --host` beyond this machine warns that the app has no authentication."""

from __future__ import annotations

import argparse

import pytest

from bid_panel import serve as serve_module
from bid_panel.serve import exposure_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_loopback_hosts_need_no_warning(host: str) -> None:
    assert exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "panel.example.org"])
def test_any_other_host_is_warned_about(host: str) -> None:
    warning = exposure_warning(host)
    assert warning is not None
    assert host in warning
    assert "no authentication" in warning
    assert "anyone who can reach this port can open the panel's files" in warning


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_serve_prints_the_warning_before_serving(
    host: str, warned: bool, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import textual_serve.server as server_module

    served = []

    class FakeServer:
        def __init__(self, command: str, **kwargs) -> None:
            self.kwargs = kwargs

        def serve(self) -> None:
            served.append(self.kwargs["host"])

    monkeypatch.setattr(server_module, "Server", FakeServer)
    monkeypatch.setattr(server_module, "AppService", server_module.AppService)
    args = argparse.Namespace(workspace=None, host=host, port=8123)
    assert serve_module.serve(args) == 0
    assert served == [host]
    err = capsys.readouterr().err
    assert ("no authentication" in err) is warned
