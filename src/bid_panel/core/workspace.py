"""A workspace: one folder holding one tender and everything recorded about it.

tender.yaml        the published criteria (frozen once scoring begins)
panel.yaml         evaluators, roles and assignments
bids/*.yaml        one file per bid
sheets/<id>.yaml   one score sheet per evaluator (append-only)
moderation.yaml    the moderation record (append-only)
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bid_panel.core.atomic import explain_os_error
from bid_panel.core.bid import Bid
from bid_panel.core.checks import (
    check_bid,
    check_bid_set,
    check_panel,
    check_sheet_scope,
    check_tender,
)
from bid_panel.core.errors import BidPanelError, Findings, InvalidFiles
from bid_panel.core.gcpause import gc_paused
from bid_panel.core.ledger import RecordFile, check_chain, sha256_hex
from bid_panel.core.names import (
    BIDS_DIR,
    MODERATION_FILE,
    PANEL_FILE,
    SHEETS_DIR,
    TENDER_FILE,
    sheet_path,
)
from bid_panel.core.panel import Panel
from bid_panel.core.sheet import SHEET, SheetState, replay
from bid_panel.core.tender import Tender
from bid_panel.core.yamlio import (
    MAX_HAND_EDITED_BYTES,
    MAX_RECORD_BYTES,
    Loaded,
    YamlProblem,
    load_model,
    parse_yaml_bytes,
    read_file_bytes,
    validate_data,
)


def file_sha256(path: Path) -> str:
    try:
        return sha256_hex(path.read_bytes())
    except OSError as exc:
        raise explain_os_error(exc, path, "read") from None


@dataclass
class Workspace:
    root: Path
    tender: Tender
    tender_sha256: str
    panel: Panel
    bids: dict[str, Bid]
    """Bids by bidder id, in id order (never in file or submission order)."""
    sheets: dict[str, RecordFile[Any, Any]]
    """Score sheets by evaluator id."""
    findings: Findings = field(default_factory=Findings)
    """Warnings found while loading (errors raise instead)."""
    all_sheets: bool = True
    """False when loaded for one panel member (`load_workspace(root, sheets={id})`): the
    others' sheets were not read, so nothing that needs the whole panel may be asked."""

    @property
    def tender_path(self) -> Path:
        return self.root / TENDER_FILE

    @property
    def moderation_path(self) -> Path:
        return self.root / MODERATION_FILE

    def sheet_path(self, evaluator_id: str) -> Path:
        return sheet_path(self.root, evaluator_id)

    def states(self) -> dict[str, SheetState]:
        """Every sheet replayed (read-only use: the states are shared, see `replayed`)."""
        if not self.all_sheets:
            raise BidPanelError(
                f"{self.root} was opened for one panel member's sheet only; "
                "the whole panel's sheets are needed here"
            )
        return {eid: replayed(r) for eid, r in self.sheets.items()}

    def reload_sheet(self, evaluator_id: str) -> None:
        """Re-read one sheet from disk (`states` replays it when next asked)."""
        findings = Findings()
        path = self.sheet_path(evaluator_id)
        if not path.exists():
            self.sheets.pop(evaluator_id, None)
            return
        record = SHEET.read(path, findings)
        if record is None:
            raise InvalidFiles(f"cannot read {path}", findings)
        self.sheets[evaluator_id] = record


_REPLAYED: weakref.WeakKeyDictionary[RecordFile[Any, Any], tuple[int, str, SheetState]] = (
    weakref.WeakKeyDictionary()
)


def replayed(record: RecordFile[Any, Any]) -> SheetState:
    """The record's events replayed, once per record as it stands: the moderation gate,
    readiness, the seal checks and consolidation each asked again, and replaying 100,000
    events took a second each time (benchmarks/run.py, profiled). A record that grows (a
    session appending) is replayed afresh. Shared: callers must not change the state."""
    key = (len(record.events), record.head)
    cached = _REPLAYED.get(record)
    if cached is not None and cached[:2] == key:
        return cached[2]
    state = replay(record.header, record.events)
    _REPLAYED[record] = (*key, state)
    return state


def chain_findings(record: RecordFile[Any, Any], path: Path, findings: Findings) -> None:
    """Every break in a record's hash chain, located, as validation errors."""
    for problem in check_chain(record.header, record.events):
        line, column = record.locate(problem.index)
        findings.error(
            str(path),
            problem.message,
            problem.meaning + "; run `bid-panel verify` for the full report",
            line,
            column,
        )


@gc_paused()  # hundreds of thousands of long-lived objects: see core/gcpause.py
def load_workspace(root: Path, sheets: Collection[str] | None = None) -> Workspace:
    """Load and cross-check a whole workspace. Raises InvalidFiles listing every error.

    `sheets`: read only these evaluators' sheets (a panel member opening their own: the
    others' are none of their business, and on a 300-bid tender reading them all took
    12 s and 400 MB); None reads every sheet."""
    findings = Findings()
    if not root.is_dir():
        raise BidPanelError(
            f"{root} is not a workspace folder; create one with `bid-panel init {root}`"
        )
    inside = _inside(root, findings)
    tender_path, panel_path = root / TENDER_FILE, root / PANEL_FILE
    tender_doc, tender_sha = (
        _load_tender(tender_path, findings) if inside(tender_path) else (None, "")
    )
    tender = tender_doc.model if tender_doc else None
    if tender_doc:
        findings.extend(check_tender(tender_doc))
    panel_doc = load_model(panel_path, Panel, findings) if inside(panel_path) else None
    if panel_doc:
        findings.extend(check_panel(panel_doc, tender))
    bid_docs = _load_bids(root / BIDS_DIR, tender, findings, inside)
    bid_ids = {d.model.bidder.id for d in bid_docs}
    records: dict[str, RecordFile[Any, Any]] = {}
    sheets_dir = root / SHEETS_DIR
    if sheets is None:
        paths = sorted(sheets_dir.glob("*.yaml")) if sheets_dir.is_dir() else []
    else:
        paths = [p for p in (sheet_path(root, e) for e in sorted(sheets)) if p.exists()]
    for path in paths:
        record = SHEET.read(path, findings) if inside(path) else None
        if record is None:
            continue
        if tender and panel_doc:
            findings.extend(
                check_sheet_scope(
                    str(path),
                    record.header,
                    record.events,
                    tender,
                    tender_sha,
                    panel_doc.model,
                    bid_ids,
                    record.locate,
                )
            )
        chain_findings(record, path, findings)
        if record.header.evaluator in records:
            findings.error(
                str(path),
                f"second sheet for {record.header.evaluator}",
                "each evaluator has exactly one sheet",
            )
        records[record.header.evaluator] = record
    if not findings.ok or tender is None or panel_doc is None:
        raise InvalidFiles(f"the workspace {root} has errors", findings)
    return Workspace(
        root=root,
        tender=tender,
        tender_sha256=tender_sha,
        panel=panel_doc.model,
        bids={
            d.model.bidder.id: d.model for d in sorted(bid_docs, key=lambda d: d.model.bidder.id)
        },
        sheets=records,
        findings=findings,
        all_sheets=sheets is None,
    )


def _load_tender(path: Path, findings: Findings) -> tuple[Loaded[Tender] | None, str]:
    """The tender and the SHA-256 of the very bytes it was parsed from (a second read to
    hash it could see a file saved in between)."""
    try:
        raw = read_file_bytes(path, limit=MAX_HAND_EDITED_BYTES)
        text, data = parse_yaml_bytes(raw, limit=MAX_HAND_EDITED_BYTES)
    except YamlProblem as problem:
        findings.add(problem.finding(str(path)))
        return None, ""
    doc = validate_data(text, data, Tender, findings, path=path, display=str(path))
    return doc, sha256_hex(raw) if doc else ""


def _inside(root: Path, findings: Findings) -> Callable[[Path], bool]:
    """A check that a file of the workspace is in it: a link to a file elsewhere (a bid
    linked to ../../somewhere, a sheet linked out of the folder) is refused, so that
    everything the panel relies on is in the folder that is kept as the record."""
    base = root.resolve()

    def check(path: Path) -> bool:
        try:
            target = path.resolve()
        except (OSError, RuntimeError):
            return True  # a link loop: reading it reports the problem
        if target.is_relative_to(base):
            return True
        findings.error(
            str(path),
            f"is a link to {target}, outside the workspace {root}",
            "copy the file into the workspace: every file of a tender must be in its folder",
        )
        return False

    return check


def _load_bids(
    folder: Path,
    tender: Tender | None,
    findings: Findings,
    inside: Callable[[Path], bool] = lambda _: True,
) -> list[Loaded[Bid]]:
    if not folder.is_dir():
        findings.error(
            str(folder),
            "no bids/ folder in the workspace",
            "create it and put one YAML file per bid in it",
        )
        return []
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        if not inside(path):
            continue
        doc = load_model(path, Bid, findings)
        if doc:
            findings.extend(check_bid(doc, tender))
            docs.append(doc)
    if not docs:
        findings.error(str(folder), "no bids found", "put one <bidder-id>.yaml per bid here")
    findings.extend(check_bid_set(docs))
    return docs


# --------------------------------------------------------------------------- validate


KIND_BY_FORMAT = {
    "bid-panel/tender@1": "tender",
    "bid-panel/panel@1": "panel",
    "bid-panel/bid@1": "bid",
    "bid-panel/score-sheet@1": "score-sheet",
    "bid-panel/moderation@1": "moderation",
}


def validate_paths(paths: list[Path]) -> Findings:
    """Validate workspaces and loose files; cross-check loose files against one tender."""
    findings = Findings()
    loose: list[Path] = []
    for path in paths:
        if path.is_dir() and (path / TENDER_FILE).exists():
            try:
                workspace = load_workspace(path)
                findings.extend(workspace.findings)
            except InvalidFiles as exc:
                findings.extend(exc.findings)
            if (path / MODERATION_FILE).exists():
                _check_moderation(path / MODERATION_FILE, findings)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*.y*ml") if p.suffix in {".yaml", ".yml"})
            if not found:
                findings.error(
                    str(path),
                    "no .yaml files in this folder",
                    "give a workspace folder or YAML files",
                )
            loose.extend(found)
        else:
            loose.append(path)
    findings.extend(_validate_loose(loose))
    return findings


def _read_loose(path: Path) -> tuple[str, dict[str, Any]]:
    """A loose file, with the size limit of its kind: a score sheet or moderation record
    (a `header:` at the top) may be as large as a record, anything else is hand-edited."""
    raw = read_file_bytes(path, limit=MAX_RECORD_BYTES)
    if len(raw) > MAX_HAND_EDITED_BYTES and not re.search(rb"(?m)^header:", raw[:4096]):
        raise YamlProblem(
            f"file is {len(raw):,} bytes, larger than the {MAX_HAND_EDITED_BYTES:,} byte limit",
            "check this is the right file",
        )
    return parse_yaml_bytes(raw, limit=MAX_RECORD_BYTES)


def _validate_loose(paths: list[Path]) -> Findings:
    findings = Findings()
    parsed: list[tuple[Path, str, str, dict[str, Any]]] = []
    for path in paths:
        try:
            text, data = _read_loose(path)
        except YamlProblem as problem:
            findings.add(problem.finding(str(path)))
            continue
        declared = data.get("format")
        if declared is None and isinstance(data.get("header"), dict):
            declared = data["header"].get("format")  # records carry it in their header
        kind = KIND_BY_FORMAT.get(str(declared))
        if kind is None:
            line, column = 1, 1
            findings.error(
                str(path),
                f"unknown file kind: `format: {declared}`"
                if declared is not None
                else "no `format:` key, so the kind of file is unknown",
                "the first key says what the file is: format: bid-panel/tender@1, "
                "bid-panel/panel@1, bid-panel/bid@1, bid-panel/score-sheet@1 or "
                "bid-panel/moderation@1",
                line,
                column,
            )
            continue
        parsed.append((path, kind, text, data))
    tenders = [p for p in parsed if p[1] == "tender"]
    tender: Tender | None = None
    for path, _, text, data in tenders:
        doc = validate_data(text, data, Tender, findings, path=path, display=str(path))
        if doc:
            findings.extend(check_tender(doc))
            tender = doc.model if len(tenders) == 1 else None
    bids = []
    for path, kind, text, data in parsed:
        if kind == "panel":
            doc = validate_data(text, data, Panel, findings, path=path, display=str(path))
            if doc:
                findings.extend(check_panel(doc, tender))
        elif kind == "bid":
            bid_doc = validate_data(text, data, Bid, findings, path=path, display=str(path))
            if bid_doc:
                findings.extend(check_bid(bid_doc, tender))
                bids.append(bid_doc)
        elif kind == "score-sheet":
            record = SHEET.read(path, findings)
            if record:
                chain_findings(record, path, findings)
        elif kind == "moderation":
            _check_moderation(path, findings)
    findings.extend(check_bid_set(bids))
    return findings


def _check_moderation(path: Path, findings: Findings) -> None:
    """The moderation record reads as one and its hash chain holds (located findings)."""
    # Imported here: core.moderation imports this module.
    from bid_panel.core.moderation import MODERATION

    record = MODERATION.read(path, findings)
    if record is None:
        return
    chain_findings(record, path, findings)
