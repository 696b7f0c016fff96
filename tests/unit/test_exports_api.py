"""`export()` and `bid-panel export`: all or nothing, atomic, deterministic, with progress;
the Markdown report; the notice that none of it is for quality evaluators."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bid_panel.cli import main
from bid_panel.core.errors import BidPanelError
from bid_panel.core.exports import (
    FORMATS,
    NOTICE,
    ExportRefused,
    collect,
    export,
    md_report,
    problems,
)
from bid_panel.core.exports.data import ExportData
from bid_panel.core.justification import criterion_text
from bid_panel.core.sample import init_workspace
from bid_panel.core.session import ScoringSession
from bid_panel.core.workspace import Workspace, load_workspace

from .exports_support import GENERATED_AT, STEM, sample_data, sample_template


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return load_workspace(sample_template(tmp_path_factory))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


def test_every_format_written_into_a_created_folder(workspace: Workspace, tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    out = tmp_path / "a" / "b"
    paths = export(workspace, FORMATS, out, GENERATED_AT, lambda *a: calls.append(a))
    names = sorted(p.name for p in paths)
    assert sorted(p.name for p in out.iterdir()) == names
    assert len(names) == 7 + 1 + 1 + 1 + 1 + 10
    assert [c[0] for c in calls] == list(range(1, len(FORMATS) + 2))
    assert {c[1] for c in calls} == {len(FORMATS) + 1}
    assert calls[-1][2].startswith("wrote 21 file(s)")


def test_same_workspace_same_bytes_apart_from_generated_at(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = export(workspace, FORMATS, tmp_path / "1", GENERATED_AT)
    second = export(workspace, FORMATS, tmp_path / "2", GENERATED_AT)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    later = GENERATED_AT + timedelta(hours=5)
    third = export(workspace, FORMATS, tmp_path / "3", later)
    stamp, other = GENERATED_AT.isoformat(), later.isoformat()
    for a, c in zip(first, third, strict=True):
        if a.suffix == ".xlsx":
            continue  # compared through its cells in test_exports_xlsx
        assert a.read_text("utf-8").replace(stamp, other) == c.read_text("utf-8"), a.name
        assert stamp in a.read_text("utf-8") or a.name.endswith(
            (
                "-results.csv",
                "-contributions.csv",
                "-scores.csv",
                "-exclusions.csv",
                "-criteria.csv",
                "-scales.csv",
            )
        ), f"{a.name} does not say when it was generated"


def test_an_existing_file_is_replaced_whole(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"{STEM}-evaluation-report.md"
    target.write_text("an older report, much longer than the new one " * 2000, "utf-8")
    export(workspace, ["md"], out, GENERATED_AT)
    assert target.read_text("utf-8").startswith("# Evaluation report: CS-2026-014\n")
    assert sorted(p.name for p in out.iterdir()) == [target.name]  # no temporary files left


def test_unknown_format_and_bad_folder_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(BidPanelError, match="unknown export format"):
        export(workspace, ["pdf"], tmp_path / "x", GENERATED_AT)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BidPanelError, match="not a folder"):
        export(workspace, ["md"], blocker, GENERATED_AT)


def test_every_file_says_it_is_not_for_quality_evaluators(
    workspace: Workspace, tmp_path: Path
) -> None:
    """None of the exports is quality-evaluator material (they hold prices): each says so
    at its top (a CSV table in its companion `-method.csv`, an XLSX on every printed page
    and in its properties)."""
    for path in export(workspace, FORMATS, tmp_path, GENERATED_AT):
        if path.suffix == ".xlsx":
            book = load_workbook(io.BytesIO(path.read_bytes()))
            assert book.properties.description == NOTICE
            assert all(NOTICE in ws.oddHeader.center.text for ws in book.worksheets)
            continue
        text = path.read_text("utf-8-sig")
        if path.name.endswith(".csv") and not path.name.endswith("-method.csv"):
            # A bare table (its first row is the header); the notice is in -method.csv.
            assert (tmp_path / f"{STEM}-method.csv").exists()
            continue
        if path.name.endswith("-ocds-release-package.json"):
            # A public release: prices are published with the award, after evaluation.
            assert '"amount"' in text
            continue
        if path.suffix == ".html":
            text = text[text.index("<body>") :]
        head = text[:1500].replace("\n> ", " ").replace('\\"', '"')
        assert NOTICE in head, path.name


def test_the_markdown_report_has_method_results_moderation_and_robustness(
    data: ExportData,
) -> None:
    text = md_report.render(data)[f"{STEM}-evaluation-report.md"].decode("utf-8")
    for heading in (
        "## 1. Method",
        "## 2. Results",
        "## 3. Moderation",
        "### Flagged items and how they were resolved",
        "## 4. Robustness: what would change the result",
    ):
        assert heading in text
    assert "| 1        | Northshire County Council" in text
    assert "83.22 |" in text and "**Leading bid:** Northshire County Council" in text
    assert "#### Northshire County Council: 1.4.1 Training curriculum" in text
    assert "Individual scores 5, 8, 10, spread 5; consensus **8 of 10 (Strong)**." in text
    assert "### Scenarios in which the leading bid changes" in text
    assert "relative\\_to\\_lowest: W x Pmin / P" in text


def test_cli_export(workspace: Workspace, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(workspace.root),
            "--out",
            str(out),
            "--format",
            "md,json",
            "--format",
            "ocds",
            "--generated-at",
            "2026-10-21T12:00:00+00:00",
            "--ocid-prefix",
            "ocds-abc123",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        Path(line).name for line in captured.out.splitlines()
    )
    assert "not for quality evaluators" in captured.err.lower() or (
        "None of them is for quality evaluators" in captured.err
    )
    package = json.loads((out / f"{STEM}-ocds-release-package.json").read_text("utf-8"))
    assert package["releases"][0]["ocid"] == "ocds-abc123-CS-2026-014"
    assert main(["export", str(workspace.root), "--out", str(out), "--generated-at", "noon"]) == 2
    assert "UTC offset" in capsys.readouterr().err


def test_cli_refusal_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    root = init_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    assert main(["export", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err and "provisional" in err
    assert not out.exists()


def test_refusal_lists_each_problem_once(tmp_path: Path) -> None:
    workspace = load_workspace(init_workspace(tmp_path / "ws"))
    with pytest.raises(ExportRefused) as caught:
        export(workspace, ["ocds", "summaries"], tmp_path / "out", GENERATED_AT)
    messages = [f.message for f in caught.value.findings]
    assert len(messages) == len(set(messages)) == 3


def test_criterion_text_is_shared_by_scoring_and_summaries(workspace: Workspace) -> None:
    criterion = workspace.tender.by_id["dcs-track-record"]
    expected = criterion_text(workspace.tender, criterion)
    assert "Excellent" in expected and criterion.title in expected
    assert ScoringSession.criterion_text.__doc__
    session = object.__new__(ScoringSession)
    session.tender = workspace.tender
    assert session.criterion_text(criterion) == expected


def test_problems_says_in_advance_what_would_be_refused(data: ExportData, tmp_path: Path) -> None:
    assert problems(data) == []
    provisional = collect(load_workspace(init_workspace(tmp_path / "ws")), GENERATED_AT)
    assert problems(provisional, ["csv", "xlsx", "md", "json"]) == []
    found = problems(provisional, ["ocds", "summaries"])
    assert len(found) == 3 and all("provisional" in f.message for f in found)


def test_the_export_command_loads_no_textual(workspace: Workspace, tmp_path: Path) -> None:
    """Run in a fresh interpreter (pytest plugins have imported Textual in this one)."""
    args = ["export", str(workspace.root), "--out", str(tmp_path / "out"), "--format", "md"]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom bid_panel.cli import main\n"
            f"code = main({args!r})\nprint('textual' in sys.modules, code, file=sys.stderr)\n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stderr.strip().splitlines()[-1] == "False 0", proc.stderr
