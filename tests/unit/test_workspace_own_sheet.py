"""A panel member's app reads only their own sheet: the others' are neither read nor
needed (and on a 300-bid tender reading them all took 12 s and 400 MB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bid_panel.core.errors import BidPanelError, InvalidFiles
from bid_panel.core.workspace import load_workspace


def test_only_the_named_sheet_is_read(scored_workspace_dir: Path) -> None:
    other = scored_workspace_dir / "sheets" / "ben-hartley.yaml"
    other.write_text("events: [unclosed\n", encoding="utf-8")  # broken: must not be read
    with pytest.raises(InvalidFiles):
        load_workspace(scored_workspace_dir)  # the whole workspace does read it
    own = load_workspace(scored_workspace_dir, sheets={"amara-okafor"})
    assert list(own.sheets) == ["amara-okafor"]
    assert not own.all_sheets


def test_the_named_sheet_is_still_checked(scored_workspace_dir: Path) -> None:
    own = scored_workspace_dir / "sheets" / "amara-okafor.yaml"
    text = own.read_text(encoding="utf-8")
    assert "Scored on what" in text
    own.write_text(text.replace("Scored on what", "Scored on whom", 1), encoding="utf-8")
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(scored_workspace_dir, sheets={"amara-okafor"})
    assert any("amara-okafor.yaml" in f.file for f in caught.value.findings)


def test_a_sheet_not_yet_started_is_simply_absent(workspace_dir: Path) -> None:
    assert load_workspace(workspace_dir, sheets={"amara-okafor"}).sheets == {}


def test_whole_panel_questions_refuse_a_one_member_workspace(
    scored_workspace_dir: Path,
) -> None:
    own = load_workspace(scored_workspace_dir, sheets={"amara-okafor"})
    with pytest.raises(BidPanelError, match="one panel member's sheet only"):
        own.states()
    assert set(load_workspace(scored_workspace_dir).states()) >= {"amara-okafor"}


def test_an_id_that_is_a_path_is_refused(workspace_dir: Path) -> None:
    with pytest.raises(BidPanelError, match="not an evaluator id"):
        load_workspace(workspace_dir, sheets={"../tender"})
