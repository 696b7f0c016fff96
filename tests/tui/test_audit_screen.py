"""Pilot and snapshot tests of the auditor's read-only view, and of signing at submission."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent, TextArea

from bid_panel.core.ledger import RecordFile, compute_event_hash, header_hash
from bid_panel.core.sample import init_workspace
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import SHEET
from bid_panel.core.signing import create_key, sample_public_key, verify_signature
from bid_panel.core.workspace import load_workspace
from bid_panel.core.yamlio import MAX_RECORD_BYTES, read_yaml_file
from bid_panel.tui.app import create_app
from bid_panel.tui.screens.audit import AuditScreen
from bid_panel.tui.screens.scoring import ScoringScreen

from .conftest import SIZE
from .helpers import screen_text, settle, widget_text


@pytest.fixture(scope="module")
def audited_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("audit") / "ws", with_sample_scores=True)


@pytest.fixture
def audited(audited_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(audited_template, target)
    return target


def rewrite_justification(path: Path, index: int, text: str) -> None:
    """Replace one event's justification and recompute every hash (no key: not re-signed)."""
    _, data = read_yaml_file(path, limit=MAX_RECORD_BYTES)
    data["events"][index]["justification"] = text
    header = SHEET.header_model.model_validate(data["header"])
    prev, events = header_hash(header), []
    for raw in data["events"]:
        event = SHEET.event_adapter.validate_python({**raw, "prev": prev, "hash": "0" * 64})
        event = event.model_copy(update={"hash": compute_event_hash(event)})
        prev = event.hash
        events.append(event)
    path.write_text(RecordFile(path, header, events).render(), encoding="utf-8")


def table(app, selector: str) -> DataTable:
    return app.screen.query_one(selector, DataTable)


async def test_clean_sample_at_a_glance(audited: Path) -> None:
    app = create_app(audited, mode="audit")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        verdict = widget_text(screen.query_one("#audit-verdict", Static))
        # The one finding: a warning that the sample's panel lists its public sample keys.
        assert "VERIFIED with 1 warning(s): no integrity error" in verdict
        files = table(app, "#files")
        assert files.row_count == 6
        statuses = [str(files.get_row_at(i)[-1]) for i in range(6)]
        assert statuses == ["OK"] * 5 + ["WARN"]  # the panel file, last
        assert table(app, "#findings").row_count == 1
        # Read-only: nothing on any tab takes typing.
        assert not list(screen.query(Input)) and not list(screen.query(TextArea))

        await pilot.press("2")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "timelines"
        timeline = table(app, "#timeline")
        assert timeline.row_count == 41  # Amara's sheet: 5 declarations, 35 scores, the seal
        assert str(timeline.get_row_at(40)[2]) == "submitted (seal)"

        await pilot.press("3")
        await pilot.pause()
        trail = table(app, "#trail-table")
        first = trail.get_row_at(0)
        assert str(first[0]) == "DCS track record"
        assert "Amara 5" in str(first[1]) and str(first[3]) == "5"
        total = trail.get_row_at(trail.row_count - 1)
        assert str(total[0]) == "Total" and str(total[-1]) == "83.22"
        detail = widget_text(screen.query_one("#trail-detail", Static))
        assert "Joanna Whitfield" in detail  # the justification itself
        assert "Reason:" in detail and "17.50 of 17.50 points" in detail

        await pilot.press("4")
        await pilot.pause()
        calibration = table(app, "#calibration-evaluators")
        assert calibration.row_count == 3
        amara = calibration.get_row_at(0)
        assert str(amara[0]) == "Amara Okafor" and str(amara[2]) == "-1.67"


async def test_tampered_sheet_shows_the_finding_and_jumps_to_the_event(audited: Path) -> None:
    markup = "Edited later [bold]not bold[/] [link=x]and no link[/link], still long enough to pass."
    rewrite_justification(audited / "sheets" / "ben-hartley.yaml", 6, markup)
    app = create_app(audited, mode="audit")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        verdict = widget_text(screen.query_one("#audit-verdict", Static))
        assert "FAILED" in verdict
        findings = table(app, "#findings")
        codes = [str(findings.get_row_at(i)[4]) for i in range(findings.row_count)]
        assert "signature-invalid" in codes and "binding-opened" in codes
        files = table(app, "#files")
        ben = next(
            files.get_row_at(i)
            for i in range(files.row_count)
            if "ben" in str(files.get_row_at(i)[0])
        )
        assert str(ben[6]) == "INVALID" and str(ben[7]) == "FAILED"

        findings.focus()
        findings.move_cursor(row=codes.index("signature-invalid"))
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "timelines"
        timeline = table(app, "#timeline")
        assert timeline.cursor_row == 40  # Ben's seal, event 41
        detail = widget_text(screen.query_one("#event-detail", Static))
        assert "signature-invalid" in detail

        # User text shows exactly as typed, never as markup.
        timeline.move_cursor(row=6)
        await pilot.pause()
        assert "[bold]not bold[/] [link=x]and no link[/link]" in widget_text(
            screen.query_one("#event-detail", Static)
        )
        assert "[bold]not bold[/]" in screen_text(app)


async def test_reverify_reads_the_files_again(audited: Path) -> None:
    app = create_app(audited, mode="audit")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app, "#findings").row_count == 1  # the sample-key warning
        sheet = audited / "sheets" / "amara-okafor.yaml"
        sheet.write_text(sheet.read_text(encoding="utf-8").replace("value: 5", "value: 4", 1))
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table(app, "#findings").row_count > 1
        assert "FAILED" in widget_text(app.screen.query_one("#audit-verdict", Static))


def test_audit_screen_snapshot(snap_compare, audited: Path) -> None:
    app = create_app(audited, mode="audit")

    async def run_before(pilot) -> None:
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# --------------------------------------------------------------------------- signing at submit


def score_all_but_submit(root: Path, evaluator: str) -> None:
    workspace = load_workspace(root)
    with ScoringSession(workspace, evaluator) as session:
        for bidder in session.bidders:
            session.declare(bidder, conflict=False)
        for item in session.items():
            text = f"{item[0]} / {item[1]}: " + "the response names staff and dated outcomes. " * 2
            session.set_score(item, session.allowed_values(item)[-1], text)


def list_key(root: Path, evaluator: str, public_key: str) -> None:
    panel = root / "panel.yaml"
    text = panel.read_text(encoding="utf-8")
    old = f"public_key: {sample_public_key(evaluator)}"
    assert old in text
    panel.write_text(text.replace(old, f"public_key: {public_key}"), encoding="utf-8")


async def test_submit_refused_without_the_private_key(workspace_dir: Path) -> None:
    """The key was here when the sheet opened (without it, it would not have opened: see
    test_quit_and_access), and is gone when submitting: the seal is refused, not made
    unsigned."""
    score_all_but_submit(workspace_dir, "amara-okafor")
    path, public_key = create_key("amara-okafor")
    list_key(workspace_dir, "amara-okafor", public_key)
    app = create_app(workspace_dir, "amara-okafor")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        path.unlink()
        screen.desk._do_submit()
        await pilot.pause()
        assert not screen.session.sealed
        messages = [n.message for n in app._notifications]
        assert any("bid-panel keys init --as amara-okafor" in m for m in messages)


async def test_submit_signs_the_seal(workspace_dir: Path) -> None:
    score_all_but_submit(workspace_dir, "amara-okafor")
    app = create_app(workspace_dir, "amara-okafor")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        screen.desk._do_submit()
        await pilot.pause()
        seal = screen.session.state.submitted
        assert seal is not None and seal.signature is not None
        assert seal.public_key == sample_public_key("amara-okafor")
        assert verify_signature(seal.public_key, seal.hash, seal.signature)
