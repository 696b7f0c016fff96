"""Checks within and across the tender, panel, bid and sheet files, each finding located.

Broken files are edited copies of the bundled sample, written to tmp_path.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.core.errors import Finding, Findings, InvalidFiles, RecordError
from bid_panel.core.panel import Role
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import SHEET, SheetHeader
from bid_panel.core.workspace import load_workspace, validate_paths


def errors(findings: Findings) -> list[Finding]:
    return findings.errors


def lines_with(path: Path, needle: str) -> list[int]:
    """1-based numbers of every line of `path` containing `needle`."""
    text = path.read_text(encoding="utf-8")
    return [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]


def the_error(findings: Findings, contains: str) -> Finding:
    matching = [f for f in findings.errors if contains in f.message]
    assert len(matching) == 1, f"expected one error with {contains!r}, got {list(findings)}"
    return matching[0]


# --------------------------------------------------------------------------- samples


def test_sample_tender_panel_and_bids_are_clean(sample) -> None:
    assert len(sample.bids) >= 4
    assert list(validate_paths([sample.tender, sample.panel, *sample.bids])) == []


def test_sample_workspace_loads_with_no_findings(workspace) -> None:
    assert list(workspace.findings) == []
    assert len(workspace.bids) >= 4
    assert list(workspace.bids) == sorted(workspace.bids)


# --------------------------------------------------------------------------- tender


def test_top_level_weights_not_totalling_100_are_located(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.tender, ("weight: 70", "weight: 75"))
    finding = the_error(validate_paths([path]), "total 105")
    assert finding.message == "weights at the top level total 105, not 100 (quality 75 + cost 30)"
    assert finding.line == find_line(path, "weight: 75")
    assert "exactly 100" in finding.hint


def test_weights_inside_a_group_not_totalling_100_name_the_group(
    sample, edited_copy, find_line
) -> None:
    path = edited_copy(sample.tender, ("weight: 60", "weight: 50"))
    finding = the_error(validate_paths([path]), "total 90")
    assert finding.message.startswith("weights at the children of training-package total 90")
    assert "training-curriculum 50 + leadership-investment 40" in finding.message
    assert finding.line == find_line(path, "weight: 50")


def test_pass_fail_criteria_do_not_count_towards_weights(sample, edited_copy) -> None:
    path = edited_copy(
        sample.tender,
        ("    kind: pass_fail\n", "    kind: pass_fail\n    weight: 0\n"),
    )
    assert list(validate_paths([path])) == []


def test_duplicate_criterion_id_is_located(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("id: change-management", "id: dcs-track-record"))
    finding = the_error(validate_paths([path]), "duplicate criterion id")
    assert finding.message == "duplicate criterion id 'dcs-track-record'"
    assert finding.line == lines_with(path, "id: dcs-track-record")[1]  # the second one
    assert finding.column > 0


def test_duplicate_scale_id_is_located(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("id: impact-0-2-5-8-10", "id: quality-0-5"))
    findings = validate_paths([path])
    finding = the_error(findings, "duplicate scale id")
    assert finding.line == lines_with(path, "- id: quality-0-5")[1]  # the second scale
    assert "scales[0]" in finding.hint


def test_unknown_scale_is_located_and_lists_the_scales(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.tender, ("scale: impact-0-2-5-8-10", "scale: impact-0-10"))
    finding = the_error(validate_paths([path]), "unknown scale")
    assert finding.message == "unknown scale 'impact-0-10'"
    assert finding.line == find_line(path, "scale: impact-0-10")
    assert "quality-0-5, impact-0-2-5-8-10" in finding.hint


def test_minimum_score_above_the_scale_is_refused(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("minimum_score: 2", "minimum_score: 6"))
    finding = the_error(validate_paths([path]), "minimum_score 6")
    assert finding.line > 0


def test_tie_break_naming_an_unknown_criterion_is_refused(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.tender, ("criterion:dcs-track-record", "criterion:dcs-record"))
    finding = the_error(validate_paths([path]), "tie-break")
    assert finding.line == find_line(path, "criterion:dcs-record")


# --------------------------------------------------------------------------- panel


def test_price_criterion_assigned_to_a_quality_evaluator_is_refused(
    sample, edited_copy, find_line
) -> None:
    path = edited_copy(
        sample.panel,
        ("criteria: [quality, safeguarding-compliance]", "criteria: [quality, cost]"),
    )
    finding = the_error(validate_paths([sample.tender, path]), "price criterion")
    assert finding.message == "quality evaluator amara-okafor is assigned price criterion 'cost'"
    assert "two envelopes" in finding.hint
    assert finding.line == find_line(path, "criteria: [quality, cost]")


def test_duplicate_evaluator_id_is_located_at_both(sample, edited_copy) -> None:
    path = edited_copy(sample.panel, ("id: ben-hartley", "id: amara-okafor"))
    findings = [f for f in validate_paths([sample.tender, path]) if "duplicate" in f.message]
    assert [f.message for f in findings] == ["duplicate evaluator id 'amara-okafor'"] * 2
    assert [f.line for f in findings] == lines_with(path, "id: amara-okafor")


def test_panel_for_another_tender_is_refused(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.panel, ("tender_reference: CS-2026-014", "tender_reference: X-1"))
    finding = the_error(validate_paths([sample.tender, path]), "panel is for tender")
    assert finding.message == "panel is for tender 'X-1', not 'CS-2026-014'"
    assert finding.line == find_line(path, "tender_reference: X-1")


def test_panel_naming_an_unknown_criterion_is_refused(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.panel, ("criteria: [cost]", "criteria: [costs]"))
    findings = validate_paths([sample.tender, path])
    assert the_error(findings, "unknown criterion 'costs'").line == find_line(path, "[costs]")
    assert the_error(findings, "no evaluator is assigned criterion 'cost'").line > 0


# --------------------------------------------------------------------------- bids


@pytest.fixture
def bid_file(sample) -> Path:
    return sample.bids[0]


def test_bid_for_another_tender_is_refused(sample, bid_file, edited_copy, find_line) -> None:
    path = edited_copy(bid_file, ("tender_reference: CS-2026-014", "tender_reference: X-1"))
    finding = the_error(validate_paths([sample.tender, path]), "bid is for tender")
    assert finding.line == find_line(path, "tender_reference: X-1")


def test_response_for_an_unknown_criterion_is_refused(
    sample, bid_file, edited_copy, find_line
) -> None:
    path = edited_copy(
        bid_file, ("responses:\n", "responses:\n  value-for-money: |\n    We are great.\n")
    )
    finding = the_error(validate_paths([sample.tender, path]), "value-for-money")
    assert "is not a criterion of this tender" in finding.message
    assert (finding.line, finding.column) == (find_line(path, "value-for-money:"), 3)
    assert "dcs-track-record" in finding.hint


def test_response_for_the_price_criterion_is_refused(sample, bid_file, edited_copy) -> None:
    path = edited_copy(bid_file, ("responses:\n", "responses:\n  cost: |\n    Cheap.\n"))
    finding = the_error(validate_paths([sample.tender, path]), "'cost'")
    assert "takes no written response" in finding.message


def test_missing_response_is_named(sample, bid_file, edited_copy) -> None:
    path = edited_copy(bid_file, ("  change-management: |", "  change-mgmt: |"))
    findings = validate_paths([sample.tender, path])
    missing = the_error(findings, "no response for criterion 'change-management'")
    assert missing.line > 0
    assert "change-management: |" in missing.hint
    assert the_error(findings, "change-mgmt").line > 0


def zero_priced(text: str) -> str:
    text, totals = re.subn(r"(?m)^(  total: )[0-9.,]+$", r"\g<1>0", text)
    text, _ = re.subn(r"(?m)^(      amount: )[0-9.,]+$", r"\g<1>0", text)
    assert totals == 1
    return text


def test_zero_price_is_refused_with_the_reason(sample, bid_file, tmp_path, find_line) -> None:
    path = tmp_path / bid_file.name
    path.write_text(zero_priced(bid_file.read_text()))
    finding = the_error(validate_paths([sample.tender, path]), "price total is 0")
    assert "undefined" in finding.hint
    assert finding.line == find_line(path, "  total: 0")


def test_price_lines_not_adding_up_are_refused(sample, bid_file, tmp_path) -> None:
    path = tmp_path / bid_file.name
    text, count = re.subn(r"(?m)^(  total: )[0-9.,]+$", r"\g<1>1000.00", bid_file.read_text())
    assert count == 1
    path.write_text(text)
    finding = the_error(validate_paths([sample.tender, path]), "price lines add up to")
    assert "not the stated total 1000.00" in finding.message
    assert finding.line > 0


def test_duplicate_bidder_id_across_two_files_is_refused(workspace_dir, sample) -> None:
    shutil.copyfile(sample.bids[0], workspace_dir / "bids" / "zz-copy.yaml")
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(workspace_dir)
    [finding] = caught.value.findings
    assert finding.message.startswith("duplicate bidder id")
    assert finding.file.endswith("zz-copy.yaml")
    assert finding.line > 0


# --------------------------------------------------------------------------- sheets


def test_sheet_fails_once_the_tender_changes_after_scoring_began(
    workspace, workspace_dir, find_line
) -> None:
    quality = workspace.panel.of_role(Role.QUALITY)[0].id
    with ScoringSession(workspace, quality) as session:
        session.declare(session.bidders[0], conflict=False)
    tender = workspace_dir / "tender.yaml"
    tender.write_text(tender.read_text().replace("Fail otherwise.", "Fail otherwise!"))
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(workspace_dir)
    finding = the_error(Findings(caught.value.findings), "has changed since this sheet began")
    sheet = workspace_dir / "sheets" / f"{quality}.yaml"
    assert finding.file == str(sheet)
    assert finding.line == find_line(sheet, "format: bid-panel/score-sheet@1")
    assert "restore the tender file" in finding.hint


def test_scoring_session_refuses_a_sheet_begun_on_another_tender_text(workspace) -> None:
    quality = workspace.panel.of_role(Role.QUALITY)[0].id
    with ScoringSession(workspace, quality) as session:
        session.declare(session.bidders[0], conflict=False)
    changed = replace(workspace, tender_sha256="0" * 64)
    with pytest.raises(RecordError, match="tender file changed after this sheet began"):
        ScoringSession(changed, quality)


def test_sheet_score_off_the_scale_is_located(workspace, workspace_dir, find_line) -> None:
    quality = workspace.panel.of_role(Role.QUALITY)[0].id
    bidder = next(iter(workspace.bids))
    with ScoringSession(workspace, quality) as session:
        session.declare(bidder, conflict=False)
    # Bypass the session, as a hand-edited or foreign tool would: a valid chain, a bad value.
    with SHEET.open_writer(workspace.sheet_path(quality)) as writer:
        writer.append(
            {
                "type": "score",
                "bidder": bidder,
                "criterion": "dcs-track-record",
                "value": Decimal(7),
                "justification": "x" * 80,
            }
        )
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(workspace_dir)
    finding = the_error(Findings(caught.value.findings), "not on the Quality 0-5 scale")
    assert finding.message == "event 2: 7 is not on the Quality 0-5 scale (allowed: 0/1/2/3/4/5)"
    assert finding.line == find_line(workspace.sheet_path(quality), "- seq: 2")


def test_an_event_after_the_submission_is_located(scored_workspace_dir, find_line) -> None:
    workspace = load_workspace(scored_workspace_dir)
    evaluator = workspace.panel.of_role(Role.QUALITY)[0].id
    path = workspace.sheet_path(evaluator)
    # The session refuses this; a tool writing the file directly (a valid chain) does not.
    with SHEET.open_writer(path) as writer:
        seal = writer.events[-1].seq
        writer.append(
            {
                "type": "score",
                "bidder": next(iter(workspace.bids)),
                "criterion": "dcs-track-record",
                "value": Decimal(5),
                "justification": "x" * 80,
            }
        )
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(scored_workspace_dir)
    finding = the_error(Findings(caught.value.findings), "follows the submission")
    assert finding.message == (
        f"event {seal + 1} follows the submission (event {seal}) that sealed the sheet"
    )
    assert finding.line == find_line(path, f"- seq: {seal + 1}")


def test_sheet_of_an_evaluator_not_on_the_panel_is_refused(workspace, workspace_dir) -> None:
    SHEET.create(
        workspace.sheet_path("zoe-stranger"),
        SheetHeader(
            tender_reference=workspace.tender.reference,
            tender_sha256=workspace.tender_sha256,
            evaluator="zoe-stranger",
            role=Role.QUALITY,
            created_at=workspace.bids[next(iter(workspace.bids))].submitted_at,
        ),
    )
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(workspace_dir)
    finding = the_error(Findings(caught.value.findings), "is not on the panel")
    assert finding.line > 0


def test_validate_reports_a_broken_workspace_instead_of_raising(workspace_dir) -> None:
    panel = workspace_dir / "panel.yaml"
    panel.write_text(panel.read_text().replace("id: ben-hartley", "id: amara-okafor"))
    findings = validate_paths([workspace_dir])
    assert not findings.ok
    assert all(f.line > 0 for f in findings.errors)
