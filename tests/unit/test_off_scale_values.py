"""A value off the scale in a moderation record (a hand edit: `value: '4.5'` on a 0-5
scale) through `bid-panel results` and `bid-panel export`: never an internal error (exit
70), never a traceback, always a message naming the value."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core import evaluation
from bid_panel.core.consensus import Outcome, Source
from bid_panel.core.errors import BidPanelError
from bid_panel.core.results import consolidate
from bid_panel.core.scoring import ScaleValueError
from bid_panel.core.workspace import load_workspace

from .exports_support import sample_copy

ITEM = ("northshire-council", "change-management")
EDIT = (
    "criterion: change-management\n  value: 4\n",
    "criterion: change-management\n  value: '4.5'\n",
)


@pytest.fixture
def edited(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The moderated sample with one consensus value edited by hand to 4.5 (scale 0-5)."""
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    path = root / "moderation.yaml"
    text = path.read_text(encoding="utf-8")
    assert EDIT[0] in text, "the sample record changed: update this test"
    path.write_text(text.replace(*EDIT, 1), encoding="utf-8")
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


def assert_clean_failure(output: str) -> None:
    assert "Traceback" not in output
    assert "internal error" not in output


def test_results_names_the_value_and_never_crashes(edited: Path, capsys) -> None:
    code, output = run(["results", str(edited)], capsys)
    assert code != 70
    assert_clean_failure(output)
    assert "4.5" in output
    if code == 0:  # the engine counts the invalid value as missing: provisional, and why
        assert "PROVISIONAL" in output


def test_export_is_refused_naming_the_value(edited: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code, output = run(["export", str(edited), "--out", str(out)], capsys)
    assert code == 2
    assert_clean_failure(output)
    assert "4.5" in output
    assert not out.exists() or not any(out.iterdir())


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine given the moderated values as recorded, invalid ones included (as it was
    before consensus learned to set them aside): the value reaches the scoring engine."""
    real = evaluation.outcomes

    def outcomes(items, moderated):
        found = real(items, moderated)
        for key, settled in moderated.items():
            found[key] = Outcome(settled.value, Source.MODERATED, settled.reason)
        return found

    monkeypatch.setattr(evaluation, "outcomes", outcomes)


@pytest.mark.parametrize("command", ["results", "export"])
def test_an_off_scale_value_in_the_engine_exits_2_with_the_scale(
    command: str, edited: Path, tmp_path: Path, unguarded: None, capsys
) -> None:
    argv = [command, str(edited)]
    if command == "export":
        argv += ["--out", str(tmp_path / "out")]
    code, output = run(argv, capsys)
    assert code == 2
    assert_clean_failure(output)
    assert "bid-panel: the score 4.5 is not an allowed value of the scale" in output
    assert "0/1/2/3/4/5" in output


def test_consolidate_raises_a_user_error_naming_value_and_scale(edited: Path) -> None:
    workspace = load_workspace(edited)
    outcome = Outcome(Decimal("4.5"), Source.MODERATED, "hand-edited")
    with pytest.raises(ScaleValueError) as caught:
        consolidate(workspace.tender, workspace.bids, {ITEM: outcome})
    assert isinstance(caught.value, BidPanelError)
    assert "4.5" in str(caught.value)
    criterion = workspace.tender.by_id[ITEM[1]]
    assert workspace.tender.scale_of(criterion).id in str(caught.value)
