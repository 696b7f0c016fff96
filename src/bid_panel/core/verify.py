"""`bid-panel verify`: can the saved evaluation record be trusted, and does it hold together?

An auditor (or a court) reads the files years later, offline, without the authors around.
This module checks, file by file and event by event:

* integrity: every record's hash chain, every sheet's seal and its Ed25519 signature against
  the panel's public key, the moderator's signature, the moderation record's binding to the
  sheet seals, and the criteria hash in every record against the tender file;
* completeness: a conflict declaration before the first score for a bidder, a justification
  of the published minimum length on every final score, a reason on every moderated score,
  nothing after a sheet's seal, timestamps that never go back;
* scope: evaluators scored only their assigned criteria and never a bid they were recused
  from; no price data in a quality evaluator's sheet (two envelopes); each sheet stored under
  its evaluator's name;
* results: the results recomputed from the files equal an exported results JSON, if any.

Each finding says which file, which event (seq, line), what is wrong and what it means.
Everything here is read-only and pure: the CLI, the audit screen and the audit pack all ask
`verify_workspace`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bid_panel import __version__
from bid_panel.core.bid import Bid
from bid_panel.core.checks import (
    assigned_leaves,
    check_bid,
    check_panel,
    check_tender,
    value_problem,
)
from bid_panel.core.errors import BidPanelError, Findings, Severity
from bid_panel.core.evaluation import evaluate
from bid_panel.core.ledger import RecordFile, RecordFormat, check_chain
from bid_panel.core.moderation import (
    MODERATION,
    Consensus,
    ModerationHeader,
    ModerationState,
    Opened,
    Signed,
    Withdrawal,
    replay_moderation,
)
from bid_panel.core.panel import Panel, Role
from bid_panel.core.results import RESULTS_FORMAT, results_json
from bid_panel.core.sheet import SHEET, Declaration, ScoreSet, SheetHeader, SheetState
from bid_panel.core.signing import SAMPLE_TENDER_REFERENCE, is_sample_key, verify_signature
from bid_panel.core.tender import CriterionKind, Tender
from bid_panel.core.workspace import (
    BIDS_DIR,
    MODERATION_FILE,
    PANEL_FILE,
    SHEETS_DIR,
    TENDER_FILE,
    Workspace,
    file_sha256,
)
from bid_panel.core.yamlio import load_model

VERIFY_FORMAT = "bid-panel/verify@1"
EXPORTS_DIR = "exports"

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2

PRICE_AMOUNT_MINIMUM = Decimal(1000)
"""Amounts below this are too common in prose (percentages, counts) to signal price data."""


class VerifyUnusable(BidPanelError):
    """The workspace cannot be verified at all (no tender or panel to check against)."""


@dataclass(frozen=True)
class VerifyFinding:
    """One thing that does not hold: where, what is wrong, and what it means."""

    code: str
    """Stable id of the check, e.g. `chain-hash`, `signature-invalid`, `scope-recused`."""
    file: str
    """Path relative to the workspace."""
    message: str
    meaning: str
    severity: Severity = Severity.ERROR
    seq: int | None = None
    line: int = 0
    column: int = 0

    @property
    def where(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return where + (f" (event {self.seq})" if self.seq is not None else "")

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.severity} [{self.code}] {self.message}\n    means: {self.meaning}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "file": self.file,
            "seq": self.seq,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "meaning": self.meaning,
        }


@dataclass
class FileStatus:
    """The integrity of one file at a glance."""

    file: str
    kind: str
    owner: str = ""
    events: int = 0
    chain: str = "ok"
    """ok, broken or unreadable (n/a for files that are not records)."""
    seal: str = "-"
    signature: str = "-"
    errors: int = 0
    warnings: int = 0

    @property
    def status(self) -> str:
        if self.errors:
            return "FAILED"
        return "WARN" if self.warnings else "OK"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "owner": self.owner,
            "events": self.events,
            "chain": self.chain,
            "seal": self.seal,
            "signature": self.signature,
            "errors": self.errors,
            "warnings": self.warnings,
            "status": self.status,
        }


@dataclass
class LoadedWorkspace:
    """What verify read, leniently: every file that could be parsed, even if it fails checks.

    The audit view works from this, so a tampered workspace can still be inspected.
    """

    root: Path
    tender: Tender
    tender_sha256: str
    panel: Panel
    bids: dict[str, Bid]
    sheet_files: dict[str, RecordFile[Any, Any]] = field(default_factory=dict)
    """Readable score sheets by file (relative path)."""
    moderation: RecordFile[Any, Any] | None = None
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Results JSON exports found, by file (relative path)."""
    bids_complete: bool = True

    @property
    def sheets(self) -> dict[str, RecordFile[Any, Any]]:
        """Readable sheets by the evaluator their header names (first file wins)."""
        out: dict[str, RecordFile[Any, Any]] = {}
        for record in self.sheet_files.values():
            out.setdefault(record.header.evaluator, record)
        return out

    def workspace(self) -> Workspace:
        """A core Workspace over these files, for the evaluation engine (read-only use)."""
        return Workspace(
            root=self.root,
            tender=self.tender,
            tender_sha256=self.tender_sha256,
            panel=self.panel,
            bids=dict(sorted(self.bids.items())),
            sheets=self.sheets,
        )

    @cached_property
    def price_amounts(self) -> dict[Decimal, str]:
        """The bids' price figures (see `_price_amounts`), worked out once per verify, not
        per sheet: each quality sheet re-read all 12,000 responses of a 300-bid tender (a
        second per sheet)."""
        return _price_amounts(self.bids)

    def moderation_state(self) -> ModerationState:
        """The moderation record as read, replayed (an empty state when there is none)."""
        record = self.moderation
        return replay_moderation(record.header if record else None, record.events if record else [])


@dataclass
class VerifyReport:
    root: Path
    loaded: LoadedWorkspace
    findings: list[VerifyFinding]
    files: list[FileStatus]
    notes: list[str]
    results_check: dict[str, Any]

    @property
    def errors(self) -> list[VerifyFinding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[VerifyFinding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FINDINGS

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def as_json(self, root_label: str | None = None) -> dict[str, Any]:
        loaded = self.loaded
        return {
            "format": VERIFY_FORMAT,
            "tool": f"bid-panel {__version__}",
            "workspace": root_label if root_label is not None else str(self.root),
            "tender": {
                "reference": loaded.tender.reference,
                "title": loaded.tender.title,
                "sha256": loaded.tender_sha256,
            },
            "ok": self.ok,
            "exit_code": self.exit_code,
            "summary": {"errors": len(self.errors), "warnings": len(self.warnings)},
            "files": [f.as_json() for f in self.files],
            "results_check": self.results_check,
            "findings": [f.as_json() for f in self.findings],
            "notes": self.notes,
        }

    def text(self, root_label: str | None = None) -> str:
        from tabulate import tabulate

        loaded = self.loaded
        lines = [
            f"bid-panel verify {root_label if root_label is not None else self.root}",
            f"tender {loaded.tender.reference}: {loaded.tender.title}",
            f"tender file sha256 {loaded.tender_sha256}",
            "",
            tabulate(
                [
                    [f.file, f.kind, f.owner, f.events, f.chain, f.seal, f.signature, f.status]
                    for f in self.files
                ],
                headers=["File", "Kind", "Owner", "Events", "Chain", "Seal", "Signature", "Status"],
                tablefmt="simple",
            ),
            "",
            f"Results: {self.results_check.get('summary', '-')}",
        ]
        if self.findings:
            lines += [
                "",
                f"Findings ({len(self.errors)} error(s), {len(self.warnings)} warning(s)):",
            ]
            lines += [str(f) for f in self.findings]
        if self.notes:
            lines += ["", "Notes:"]
            lines += [f"  - {n}" for n in self.notes]
        lines.append("")
        if self.ok and not self.warnings:
            lines.append("VERIFIED: every check holds.")
        elif self.ok:
            lines.append(f"VERIFIED with {len(self.warnings)} warning(s): no integrity error.")
        else:
            lines.append(
                f"FAILED: {len(self.errors)} error(s), {len(self.warnings)} warning(s). "
                "The record cannot be relied on as it stands; see each finding."
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- the checks


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[VerifyFinding] = []
        self.notes: list[str] = []

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def add(
        self,
        code: str,
        file: str,
        message: str,
        meaning: str,
        *,
        severity: Severity = Severity.ERROR,
        seq: int | None = None,
        position: tuple[int, int] = (0, 0),
    ) -> None:
        self.findings.append(
            VerifyFinding(code, file, message, meaning, severity, seq, position[0], position[1])
        )

    def warn(self, code: str, file: str, message: str, meaning: str, **kw: Any) -> None:
        self.add(code, file, message, meaning, severity=Severity.WARNING, **kw)

    def at(self, file: str, seq: int, position: tuple[int, int]) -> Callable[[str, str, str], None]:
        """`add` for errors about one event: `at(...)(code, message, meaning)`."""

        def add(code: str, message: str, meaning: str) -> None:
            self.add(code, file, message, meaning, seq=seq, position=position)

        return add

    def from_findings(self, code: str, findings: Iterable[Any], meaning: str) -> None:
        for f in findings:
            if f.severity is not Severity.ERROR:
                continue
            self.add(
                code,
                self.rel(Path(f.file)),
                f.message,
                meaning,
                position=(f.line, f.column),
            )


Where = Callable[[int], tuple[int, int]]
"""The (line, column) of a record's event by index (-1: the header)."""


def _where(record: RecordFile[Any, Any]) -> Where:
    return lambda index: _Position(record, index)  # type: ignore[return-value]


class _Position:
    """An event's (line, column), worked out only if a finding uses it: the checks ask for
    every event's position up front, and composing a 5 MB record to locate 12,000 events
    that have nothing wrong was most of `verify`'s time (benchmarks/run.py, profiled). The
    record composes its YAML once, for every finding (`RecordFile.locate`)."""

    __slots__ = ("_index", "_record", "_value")

    def __init__(self, record: RecordFile[Any, Any], index: int) -> None:
        self._record = record
        self._index = index
        self._value: tuple[int, int] | None = None

    def __getitem__(self, part: int) -> int:
        if self._value is None:
            self._value = self._record.locate(self._index)
        return self._value[part]

    def __iter__(self) -> Iterator[int]:  # line, column = position
        return iter((self[0], self[1]))


def verify_workspace(root: Path) -> VerifyReport:
    """Verify a workspace folder. Raises VerifyUnusable when there is nothing to verify."""
    out = _Collector(root)
    loaded = _load(root, out)
    files: list[FileStatus] = []
    sheet_states: dict[str, tuple[str, SheetState]] = {}

    for path in sorted((root / SHEETS_DIR).glob("*.yaml")) if (root / SHEETS_DIR).is_dir() else []:
        status = _verify_sheet(path, loaded, out, sheet_states)
        files.append(status)
    files.append(_verify_moderation(loaded, out, sheet_states))
    results_check = _verify_results(loaded, out)
    files += [FileStatus(name, "results export", chain="n/a") for name in loaded.exports]
    _sample_key_note(loaded, out)

    # A genuine signature over a record whose chain no longer holds signs the content as it
    # was, not as it is: say so at a glance.
    for status in files:
        if status.chain == "broken" and status.signature.startswith("valid"):
            status.signature = "valid, old content"
    # Tally findings per file, for the at-a-glance view.
    by_file = {f.file: f for f in files}
    for finding in out.findings:
        status = by_file.get(finding.file)
        if status is None:
            status = FileStatus(finding.file, _kind_of(finding.file), chain="n/a")
            by_file[finding.file] = status
            files.append(status)
        if finding.severity is Severity.ERROR:
            status.errors += 1
        else:
            status.warnings += 1
    return VerifyReport(root, loaded, out.findings, files, out.notes, results_check)


def _kind_of(file: str) -> str:
    if file == TENDER_FILE:
        return "tender"
    if file == PANEL_FILE:
        return "panel"
    if file.startswith(BIDS_DIR + "/"):
        return "bid"
    if file.startswith(SHEETS_DIR + "/"):
        return "score sheet"
    if file == MODERATION_FILE:
        return "moderation record"
    return "file"


# --------------------------------------------------------------------------- loading


def _load(root: Path, out: _Collector) -> LoadedWorkspace:
    if not root.is_dir():
        raise VerifyUnusable(f"{root} is not a workspace folder")
    tender_path = root / TENDER_FILE
    panel_path = root / PANEL_FILE
    findings = Findings()
    if not tender_path.is_file():
        raise VerifyUnusable(f"{root} has no {TENDER_FILE}: it is not a bid-panel workspace")
    tender_doc = load_model(tender_path, Tender, findings)
    panel_doc = load_model(panel_path, Panel, findings) if panel_path.is_file() else None
    if panel_doc is None and not findings.errors:
        findings.error(str(panel_path), "the panel file is missing", "restore panel.yaml")
    if tender_doc is None or panel_doc is None:
        raise VerifyUnusable(
            "the tender or panel file cannot be read, so nothing can be checked against them",
            findings,
        )
    tender, panel = tender_doc.model, panel_doc.model
    out.from_findings(
        "invalid-file",
        check_tender(tender_doc).errors,
        "the published criteria are not internally consistent",
    )
    out.from_findings(
        "invalid-file",
        check_panel(panel_doc, tender).errors,
        "the panel file does not fit the tender; scope checks may be unreliable",
    )
    bids: dict[str, Bid] = {}
    complete = True
    for path in sorted((root / BIDS_DIR).glob("*.yaml")) if (root / BIDS_DIR).is_dir() else []:
        bid_findings = Findings()
        doc = load_model(path, Bid, bid_findings)
        if doc is None:
            complete = False
            out.from_findings(
                "invalid-file",
                bid_findings,
                "this bid cannot be read; results cannot be recomputed",
            )
            continue
        out.from_findings(
            "invalid-file", check_bid(doc, tender).errors, "the bid file is not consistent"
        )
        bids[doc.model.bidder.id] = doc.model
    if not bids:
        raise VerifyUnusable(f"{root} has no readable bids in {BIDS_DIR}/")
    loaded = LoadedWorkspace(
        root=root,
        tender=tender,
        tender_sha256=file_sha256(tender_path),
        panel=panel,
        bids=dict(sorted(bids.items())),
        bids_complete=complete,
    )
    loaded.exports = _find_exports(root, out)
    return loaded


def _find_exports(root: Path, out: _Collector) -> dict[str, dict[str, Any]]:
    """Results JSON exports: exports/**/*.json and *.json at the top, in format results@1
    (or holding one under `results`)."""
    candidates = sorted(root.glob("*.json"))
    if (root / EXPORTS_DIR).is_dir():
        candidates += sorted((root / EXPORTS_DIR).rglob("*.json"))
    found: dict[str, dict[str, Any]] = {}
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            out.warn(
                "export-unreadable",
                out.rel(path),
                f"not readable as JSON ({exc})",
                "this export cannot be compared with the records",
            )
            continue
        results = _results_in(data)
        if results is not None:
            found[out.rel(path)] = results
    return found


def _results_in(data: Any) -> dict[str, Any] | None:
    if isinstance(data, dict):
        if data.get("format") == RESULTS_FORMAT:
            return data
        inner = data.get("results")
        if isinstance(inner, dict) and inner.get("format") == RESULTS_FORMAT:
            return inner
    return None


# --------------------------------------------------------------------------- chains


def _read_record(
    path: Path,
    fmt: RecordFormat[Any, Any],
    status: FileStatus,
    activity: str,
    consequence: str,
    loaded: LoadedWorkspace,
    out: _Collector,
) -> tuple[RecordFile[Any, Any], Where] | None:
    """Read a score sheet or the moderation record and make the checks every record gets:
    its hash chain, its timestamps and its binding to the tender (`activity` began against
    the tender file; `consequence` of a change since). None, said and on `status`, when it
    cannot be read."""
    findings = Findings()
    record = fmt.read(path, findings)
    if record is None:
        _unreadable(path, findings, out, fmt.name)
        status.chain = "unreadable"
        return None
    file, where, header = status.file, _where(record), record.header
    status.events = len(record.events)
    if not _check_chain(header, record.events, file, where, out):
        status.chain = "broken"
    _check_times(record.events, header.created_at, file, where, out)
    _check_tender_binding(header, activity, consequence, file, where, out, loaded)
    return record, where


def _check_chain(
    header: BaseModel,
    events: Sequence[BaseModel],
    file: str,
    where: Where,
    out: _Collector,
) -> bool:
    """Every way a chain can break, with its own code. True when the chain holds."""
    problems = check_chain(header, events)
    for problem in problems:
        out.add(
            problem.code,
            file,
            problem.message,
            problem.meaning,
            seq=problem.seq,
            position=where(problem.index),
        )
    return not problems


def _check_tender_binding(
    header: Any,
    activity: str,
    consequence: str,
    file: str,
    where: Where,
    out: _Collector,
    loaded: Any,
) -> None:
    """A record belongs to this tender, and to the tender file as it was when it began."""
    tender = loaded.tender
    if header.tender_reference != tender.reference:
        out.add(
            "wrong-tender",
            file,
            f"the record is for tender {header.tender_reference!r}, not {tender.reference!r}",
            "this record belongs to another tender's workspace",
            position=where(-1),
        )
    if header.tender_sha256 != loaded.tender_sha256:
        out.add(
            "criteria-changed",
            file,
            f"{activity} began against tender file sha256 {header.tender_sha256[:16]}…, "
            f"but the tender file is now {loaded.tender_sha256[:16]}…",
            f"the published criteria were changed after {activity} began (criteria are "
            f"frozen once scoring starts): {consequence}",
            position=where(-1),
        )


def _check_times(
    events: Sequence[Any], created_at: Any, file: str, where: Where, out: _Collector
) -> None:
    previous = created_at
    for index, event in enumerate(events):
        if previous is not None and event.at < previous:
            out.add(
                "time-backwards",
                file,
                f"event {event.seq} is timestamped {event.at.isoformat()}, before the "
                f"{'header' if index == 0 else 'event before it'} ({previous.isoformat()})",
                "timestamps in an append-only record never go back: the events were "
                "reordered or their times edited",
                seq=event.seq,
                position=where(index),
            )
        previous = event.at


def _unreadable(path: Path, findings: Findings, out: _Collector, what: str) -> None:
    errors = findings.errors or list(findings)
    first = errors[0] if errors else None
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    out.add(
        "unreadable",
        out.rel(path),
        f"the {what} cannot be read: {first.message if first else 'unknown error'}{more}",
        "the file is truncated, damaged or was edited by hand; none of its contents can be "
        "relied on. Compare it with the copy in the last audit pack.",
        position=(first.line, first.column) if first else (0, 0),
    )


# --------------------------------------------------------------------------- sheets


def _verify_sheet(
    path: Path,
    loaded: LoadedWorkspace,
    out: _Collector,
    states: dict[str, tuple[str, SheetState]],
) -> FileStatus:
    file = out.rel(path)
    status = FileStatus(file, "score sheet", owner=path.stem)
    read = _read_record(
        path,
        SHEET,
        status,
        "scoring",
        "scores may not be against the criteria as published",
        loaded,
        out,
    )
    if read is None:
        return status
    record, where = read
    loaded.sheet_files[file] = record
    header: SheetHeader = record.header
    events = record.events
    status.owner = header.evaluator
    panel = loaded.panel
    if path.stem != header.evaluator:
        out.add(
            "sheet-misnamed",
            file,
            f"the sheet of {header.evaluator!r} is stored as {path.name}",
            f"sheets were swapped or renamed: the scores in this file are "
            f"{header.evaluator}'s, not {path.stem}'s",
            position=where(-1),
        )
    if header.evaluator in states:
        out.add(
            "duplicate-sheet",
            file,
            f"a second sheet for {header.evaluator} (also {states[header.evaluator][0]})",
            "each evaluator has exactly one sheet: one of them is a copy or a forgery",
            position=where(-1),
        )
    evaluator = panel.by_id.get(header.evaluator)
    if evaluator is None:
        out.add(
            "unknown-evaluator",
            file,
            f"evaluator {header.evaluator!r} is not on the panel",
            "these scores were not made by a member of the panel",
            position=where(-1),
        )
        return status
    if evaluator.role is Role.MODERATOR or header.role is not evaluator.role:
        out.add(
            "role-mismatch",
            file,
            f"the sheet says {header.evaluator} scores as {header.role}, the panel says "
            f"{evaluator.role}",
            "the sheet was made under another panel, or its header was edited",
            position=where(-1),
        )

    state = SheetState(header=header)
    _check_sheet_events(file, header, events, evaluator.id, loaded, state, where, out)
    states.setdefault(header.evaluator, (file, state))

    # The seal and its signature.
    if state.submitted is None:
        status.seal = "not submitted"
        out.warn(
            "not-submitted",
            file,
            f"{header.evaluator} has not submitted this sheet (no seal)",
            "the scores are still a draft and may change; they are not yet part of the "
            "evaluation (if the sheet was submitted, its seal was removed)",
        )
        status.signature = "-"
    else:
        seal_index = events.index(state.submitted)
        status.seal = state.submitted.hash[:12]
        status.signature = _check_signature(
            file,
            header.evaluator,
            evaluator.public_key,
            state.submitted.public_key,
            state.submitted.signature,
            state.submitted.hash,
            "the seal",
            state.submitted.seq,
            where(seal_index),
            out,
        )
        _check_sealed_complete(file, header.evaluator, state, loaded, where, events, out)
    return status


def _check_sheet_events(
    file: str,
    header: SheetHeader,
    events: list[Any],
    evaluator_id: str,
    loaded: LoadedWorkspace,
    state: SheetState,
    where: Where,
    out: _Collector,
) -> None:
    tender, panel = loaded.tender, loaded.panel
    evaluator = panel.by_id[evaluator_id]
    assigned = {c.id for c in assigned_leaves(tender, evaluator.criteria)}
    quality = evaluator.role is Role.QUALITY
    prices = loaded.price_amounts if quality else {}
    for index, event in enumerate(events):
        position = where(index)
        flag = out.at(file, event.seq, position)
        if state.submitted is not None:
            flag(
                "after-seal",
                f"event {event.seq} ({event.type}) comes after the seal (event "
                f"{state.submitted.seq})",
                "the sheet was changed after it was submitted: nothing may follow the seal",
            )
        bidder = getattr(event, "bidder", None)
        if bidder is not None and bidder not in loaded.bids:
            flag(
                "unknown-bidder",
                f"event {event.seq} names bidder {bidder!r}, which has no bid in {BIDS_DIR}/",
                "a bid file is missing from the workspace, or the event was edited",
            )
        if isinstance(event, Declaration):
            if bidder in state.declarations and state.submitted is None:
                flag(
                    "duplicate-declaration",
                    f"a second conflict declaration for {bidder} (event {event.seq})",
                    "a declaration is made once, before scoring; a second one may hide a "
                    "conflict declared first",
                )
            if quality:
                _check_price_text(file, event.seq, event.note, prices, position, out)
        elif isinstance(event, ScoreSet):
            declared = state.declarations.get(event.bidder)
            if declared is None:
                flag(
                    "declaration-missing",
                    f"event {event.seq} scores {event.bidder} before any conflict declaration "
                    "for that bidder",
                    "every evaluator declares conflicts of interest before seeing a bid",
                )
            elif declared.conflict:
                flag(
                    "scope-recused",
                    f"event {event.seq} scores {event.bidder}, a bid {header.evaluator} "
                    f"declared a conflict with (event {declared.seq}) and is recused from",
                    "a conflicted evaluator scored the bid: the score must not count and the "
                    "evaluation of that bid is open to challenge",
                )
            criterion = tender.by_id.get(event.criterion)
            if criterion is None:
                flag(
                    "unknown-criterion",
                    f"event {event.seq} scores {event.criterion!r}, which is not a criterion "
                    "of the tender",
                    "an unpublished criterion was used, or the tender file was changed",
                )
            elif criterion.kind is CriterionKind.PRICE and quality:
                flag(
                    "price-scored",
                    f"event {event.seq}: quality evaluator {header.evaluator} scored the price "
                    f"criterion {event.criterion!r}",
                    "a quality evaluator saw prices, breaking the two-envelope rule: their "
                    "quality scores may have been influenced by price",
                )
            elif event.criterion not in assigned:
                flag(
                    "scope-criterion",
                    f"event {event.seq} scores {event.criterion!r}, which is not assigned to "
                    f"{header.evaluator}",
                    "evaluators score only the criteria the panel file assigns them",
                )
            else:
                problem = value_problem(tender, criterion, event.value)
                if problem:
                    flag(
                        "invalid-value",
                        f"event {event.seq}: {problem}",
                        "a score that is not an allowed value of the published scale",
                    )
            if quality:
                _check_price_text(file, event.seq, event.justification, prices, position, out)
        state.apply(event)


def _check_sealed_complete(
    file: str,
    evaluator_id: str,
    state: SheetState,
    loaded: LoadedWorkspace,
    where: Where,
    events: list[Any],
    out: _Collector,
) -> None:
    """At the seal: every assigned, non-recused item scored with a long enough justification."""
    tender = loaded.tender
    minimum = tender.rules.justification_min_length
    leaves = assigned_leaves(tender, loaded.panel.by_id[evaluator_id].criteria)
    index_of = {e.seq: i for i, e in enumerate(events)}
    for bidder in loaded.bids:
        if bidder not in state.declarations:
            out.add(
                "declaration-missing",
                file,
                f"no conflict declaration for {bidder} in the submitted sheet",
                "every evaluator declares, for every bidder, before seeing any bid",
                seq=state.submitted.seq if state.submitted else None,
            )
    for bidder in loaded.bids:
        if bidder in state.recused:
            continue
        for leaf in leaves:
            entry = state.scores.get((bidder, leaf.id))
            if entry is None or entry.value is None:
                out.add(
                    "score-missing",
                    file,
                    f"no score for {bidder} / {leaf.id} in the submitted sheet",
                    "the sheet was sealed incomplete, or score events were removed",
                    seq=state.submitted.seq if state.submitted else None,
                )
                continue
            if len(entry.justification.strip()) < minimum:
                out.add(
                    "justification-missing",
                    file,
                    f"the final score for {bidder} / {leaf.id} (event {entry.seq}) has a "
                    f"justification of {len(entry.justification.strip())} characters; the "
                    f"tender requires at least {minimum}",
                    "a score without a written justification cannot be explained to the bidder "
                    "or defended in a challenge (Woods v Milton Keynes)",
                    seq=entry.seq,
                    position=where(index_of.get(entry.seq, -1)),
                )


def _check_signature(
    file: str,
    owner: str,
    panel_key: str | None,
    record_key: str | None,
    signature: str | None,
    digest: str,
    what: str,
    seq: int,
    position: tuple[int, int],
    out: _Collector,
) -> str:
    """Check one signature; returns its status for the file table."""
    if signature is None:
        if panel_key is not None:
            out.add(
                "signature-missing",
                file,
                f"{what} (event {seq}) is not signed, but the panel lists a public key for {owner}",
                "without the signature nothing shows that the owner of the key sealed this "
                "record: anyone able to write the file could have recomputed its hashes",
                seq=seq,
                position=position,
            )
            return "missing"
        out.warn(
            "unsigned",
            file,
            f"{what} (event {seq}) is not signed and the panel lists no public key for {owner}",
            "the hash chain shows whether the record changed, but not who sealed it: list "
            "each member's key (`bid-panel keys init`) in the panel file",
            seq=seq,
            position=position,
        )
        return "unsigned"
    if panel_key is not None and record_key is not None and record_key != panel_key:
        out.add(
            "key-mismatch",
            file,
            f"{what} (event {seq}) was signed with {record_key}, not with {owner}'s key on "
            f"the panel ({panel_key})",
            "someone other than the panel member signed this record",
            seq=seq,
            position=position,
        )
        return "wrong key"
    key = panel_key or record_key
    if key is None:
        out.add(
            "signature-invalid",
            file,
            f"{what} (event {seq}) has a signature but no public key to check it with",
            "the signature cannot be verified: treat the record as unsigned",
            seq=seq,
            position=position,
        )
        return "invalid"
    if not verify_signature(key, digest, signature):
        out.add(
            "signature-invalid",
            file,
            f"the signature of {what} (event {seq}) does not verify against {owner}'s public key",
            "the record was re-sealed (its hashes recomputed) after it was signed, or the "
            "signature was edited: it is not the record the key holder signed",
            seq=seq,
            position=position,
        )
        return "INVALID"
    if panel_key is None:
        out.warn(
            "key-not-on-panel",
            file,
            f"{what} (event {seq}) is signed, but the panel lists no public key for {owner}",
            "the signature proves the record is unchanged since it was signed with the key "
            "it carries, but not whose key that is: add the key to the panel file",
            seq=seq,
            position=position,
        )
        return "valid (key not on panel)"
    return "valid"


# --------------------------------------------------------------------------- price data

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(k|m|million)?\b", re.I)


def _amounts_in(text: str) -> frozenset[Decimal]:
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        digits, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
        try:
            value = Decimal(digits.replace(",", "") + fraction)
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            continue
        if unit:
            value *= {"k": Decimal(1000), "m": Decimal(10**6), "million": Decimal(10**6)}[
                unit.lower()
            ]
        found.add(value.normalize())
    return frozenset(found)


def _price_amounts(bids: dict[str, Bid]) -> dict[Decimal, str]:
    """Price figures a quality evaluator cannot know without the price envelope: each bid's
    total and line amounts that appear nowhere in any bid's written responses."""
    visible: set[Decimal] = set()
    for bid in bids.values():
        for response in bid.responses.values():
            visible |= _amounts_in(response)
    amounts: dict[Decimal, str] = {}
    for bidder, bid in bids.items():
        if bid.price is None:
            continue
        named = [("total price", bid.price.total)] + [
            (f"price line {line.description!r}", line.amount) for line in bid.price.lines
        ]
        for label, amount in named:
            key = amount.normalize()
            if amount >= PRICE_AMOUNT_MINIMUM and key not in visible:
                amounts.setdefault(key, f"{bidder}'s {label}")
    return amounts


def _check_price_text(
    file: str,
    seq: int,
    text: str,
    prices: dict[Decimal, str],
    position: tuple[int, int],
    out: _Collector,
) -> None:
    if not prices or not text:
        return
    for amount in sorted(_amounts_in(text) & prices.keys()):
        out.add(
            "price-data",
            file,
            f"event {seq}: the quality evaluator's text contains {amount:,f}, {prices[amount]}",
            "a quality evaluator had price information (two-envelope rule broken): their "
            "quality scores may have been influenced by price",
            seq=seq,
            position=position,
        )


# --------------------------------------------------------------------------- moderation


def _verify_moderation(
    loaded: LoadedWorkspace, out: _Collector, sheets: dict[str, tuple[str, SheetState]]
) -> FileStatus:
    path = loaded.root / MODERATION_FILE
    file = MODERATION_FILE
    status = FileStatus(file, "moderation record")
    if not path.exists():
        status.chain = "absent"
        status.seal = status.signature = "-"
        out.notes.append("no moderation record yet (moderation has not started)")
        return status
    read = _read_record(
        path,
        MODERATION,
        status,
        "moderation",
        "consensus may not be against the criteria as published",
        loaded,
        out,
    )
    if read is None:
        return status
    record, where = read
    loaded.moderation = record
    header: ModerationHeader = record.header
    events = record.events
    status.owner = header.moderator
    tender, panel = loaded.tender, loaded.panel
    moderator = panel.by_id.get(header.moderator)
    if moderator is None or moderator.role is not Role.MODERATOR:
        out.add(
            "not-moderator",
            file,
            f"{header.moderator!r} is not a moderator on the panel",
            "the record was not kept by the panel's moderator",
            position=where(-1),
        )

    current_seals = {eid: s.seal for eid, (_, s) in sheets.items() if s.seal}
    withdrawn: set[str] = set()
    opened: Opened | None = None
    current: dict[tuple[str, str], Consensus] = {}
    minimum = tender.rules.justification_min_length
    last_signed: tuple[int, Signed] | None = None
    stale: dict[str, list[tuple[int, tuple[int, int], str]]] = {}
    for index, event in enumerate(events):
        position = where(index)
        if isinstance(event, Withdrawal):
            withdrawn.add(event.evaluator)
            if opened is not None:
                out.add(
                    "withdrawal-late",
                    file,
                    f"event {event.seq} withdraws {event.evaluator} after moderation opened",
                    "an evaluator was removed once their scores were known",
                    seq=event.seq,
                    position=position,
                )
        elif isinstance(event, Opened):
            opened = event
            _check_binding(
                file, event.seq, "opened", event.sheet_seals, current_seals, position, out
            )
            expected = {
                eid
                for eid, (_, s) in sheets.items()
                if s.sealed and eid not in withdrawn and eid in panel.by_id
            }
            for eid in sorted(expected - event.sheet_seals.keys()):
                out.add(
                    "binding-unbound",
                    file,
                    f"event {event.seq} (opened) binds no seal for {eid}'s submitted sheet",
                    "a sheet appeared, or was left out, when moderation opened: its scores "
                    "were not part of the moderation",
                    seq=event.seq,
                    position=position,
                )
        elif isinstance(event, Consensus):
            _check_consensus(
                file,
                event,
                opened,
                current,
                sheets,
                current_seals,
                minimum,
                loaded,
                position,
                out,
                stale,
            )
            current[(event.bidder, event.criterion)] = event
        elif isinstance(event, Signed):
            last_signed = (index, event)
            status.signature = _check_signature(
                file,
                header.moderator,
                moderator.public_key if moderator else None,
                event.public_key,
                event.signature,
                event.prev,
                "the moderator's signature",
                event.seq,
                position,
                out,
            )
    for eid, entries in sorted(stale.items()):
        seqs = [s for s, _, _ in entries]
        listed = ", ".join(map(str, seqs[:8])) + (", …" if len(seqs) > 8 else "")
        out.add(
            "binding-consensus",
            file,
            f"{len(seqs)} consensus entr{'y' if len(seqs) == 1 else 'ies'} (event"
            f"{'' if len(seqs) == 1 else 's'} {listed}) "
            f"{'is' if len(seqs) == 1 else 'are'} bound to {eid}'s seal "
            f"{entries[0][2][:12]}…, but {_seal_now(current_seals.get(eid))}",
            f"{eid}'s sheet changed after these items were moderated: the consensus was "
            "agreed on scores that are not the ones on file",
            seq=seqs[0],
            position=entries[0][1],
        )
    # With a key on the panel for the moderator, results are final only once the moderator
    # has signed the record as it stands (the gate says so too): an unsigned record, or
    # entries after the signature, are errors. Without a key they are warnings.
    keyed = moderator is not None and moderator.public_key is not None
    report = out.add if keyed else out.warn
    if last_signed is None:
        status.signature = "not signed"
        if current:
            report(
                "moderation-unsigned",
                file,
                "the moderation record has consensus entries but no moderator's signature",
                (
                    "the panel lists a public key for the moderator, so results are final "
                    "only once the moderator signs the record: these consensus entries are "
                    "not confirmed by the moderator and results from them are provisional"
                )
                if keyed
                else "moderation may still be in progress; once complete, the moderator "
                "signs the record so that nobody can rewrite it unnoticed",
            )
    elif last_signed[0] != len(events) - 1:
        report(
            "moderation-unsigned-tail",
            file,
            f"{len(events) - 1 - last_signed[0]} event(s) after the moderator's last "
            f"signature (event {last_signed[1].seq})",
            (
                "the record changed after the moderator signed it: the entries after the "
                "signature are not confirmed by the moderator, and results from them are "
                "provisional until the moderator signs again"
            )
            if keyed
            else "entries made after the signature are not covered by it",
            seq=last_signed[1].seq,
        )
    status.seal = record.head[:12]
    return status


def _check_binding(
    file: str,
    seq: int,
    what: str,
    bound: dict[str, str],
    current_seals: dict[str, str | None],
    position: tuple[int, int],
    out: _Collector,
) -> None:
    for eid, seal in sorted(bound.items()):
        now = current_seals.get(eid)
        if now == seal:
            continue
        out.add(
            "binding-opened",
            file,
            f"event {seq} ({what}) is bound to {eid}'s seal {seal[:12]}…, but {_seal_now(now)}",
            f"{eid}'s sheet changed after it was moderated: the moderation was done on "
            "scores that are not the ones on file",
            seq=seq,
            position=position,
        )


def _seal_now(seal: str | None) -> str:
    """What became of a sheet's seal that a moderation entry is bound to."""
    return f"its seal is now {seal[:12]}…" if seal else "it is no longer sealed (or readable)"


def _check_consensus(
    file: str,
    event: Consensus,
    opened: Opened | None,
    current: dict[tuple[str, str], Consensus],
    sheets: dict[str, tuple[str, SheetState]],
    current_seals: dict[str, str | None],
    minimum: int,
    loaded: LoadedWorkspace,
    position: tuple[int, int],
    out: _Collector,
    stale: dict[str, list[tuple[int, tuple[int, int], str]]],
) -> None:
    tender = loaded.tender
    seq = event.seq
    item = f"{event.bidder} / {event.criterion}"
    flag = out.at(file, seq, position)
    if opened is None:
        flag(
            "not-opened",
            f"event {seq} records a consensus before moderation was opened",
            "consensus was recorded before every sheet was submitted and bound",
        )
    for eid, seal in event.sheet_seals.items():
        if current_seals.get(eid) != seal:
            stale.setdefault(eid, []).append((seq, position, seal))
    criterion = tender.by_id.get(event.criterion)
    if criterion is None:
        flag(
            "consensus-unknown-criterion",
            f"event {seq} records a consensus on {event.criterion!r}, which is not a "
            "criterion of the published tender",
            "a score was agreed on an unpublished criterion (Woods v Milton Keynes): it "
            "cannot count, and the record was edited or belongs to another tender",
        )
    elif event.bidder not in loaded.bids:
        flag(
            "unknown-item",
            f"event {seq} moderates {item}, which is not a bid of this tender",
            "the record was edited or belongs to another tender",
        )
    elif criterion.kind is CriterionKind.GROUP:
        flag(
            "consensus-group",
            f"event {seq} records a consensus on the group {event.criterion!r}",
            "a group is the sum of its sub-criteria and is never scored or moderated itself: "
            "the entry was not made by bid-panel",
        )
    elif (
        criterion.kind is CriterionKind.PRICE
        and len({str(v) for v in event.individual.values()}) < 2
    ):
        flag(
            "unknown-item",
            f"event {seq} moderates the price criterion {event.criterion!r}, on which the "
            "price evaluators did not disagree",
            "price is scored by the published formula; the panel moderates only a price "
            "check the price evaluators disagree on",
        )
    else:
        problem = value_problem(tender, criterion, event.value)
        if problem:
            flag(
                "consensus-off-scale",
                f"event {seq}: the consensus on {item}: {problem}",
                "a consensus must be a value of the published scale, never an average "
                "(Bromcom v United Learning Trust); the item counts as unscored in the "
                "results until the record is corrected",
            )
    if event.basis == "accepted_agreement":
        given = list(event.individual.values())
        if not given or not all(_same_value(v, event.value) for v in given):
            shown = ", ".join(f"{e} {v}" for e, v in sorted(event.individual.items())) or "none"
            flag(
                "accepted-not-agreed",
                f"event {seq} accepts {event.value} on {item} as agreed, but the individual "
                f"scores it records are: {shown}",
                "only an item on which every evaluator gave the same score may be accepted "
                "without discussion; a disputed item needs a discussed consensus with its "
                "reason",
            )
    conflicted = sorted(
        p for p in event.present if p in sheets and event.bidder in sheets[p][1].recused
    )
    if conflicted:
        flag(
            "consensus-conflicted",
            f"event {seq}: {', '.join(conflicted)} recorded as present for the consensus on "
            f"{item}, but declared a conflict of interest with {event.bidder}",
            "a member with a declared conflict took part in moderating that bid: the "
            "consensus is open to challenge",
        )
    if len(event.reason.strip()) < minimum:
        flag(
            "reason-missing",
            f"event {seq}: the reason for the consensus on {item} has "
            f"{len(event.reason.strip())} characters; at least {minimum} are required",
            "a moderated score without a recorded reason cannot be defended "
            "(Lancashire Care v Lancashire CC)",
        )
    before = current.get((event.bidder, event.criterion))
    if before is not None and event.supersedes != before.seq:
        flag(
            "supersedes",
            f"event {seq} changes the consensus on {item} but says it supersedes "
            f"{event.supersedes}, not event {before.seq}",
            "a change of a moderated score must name the entry it replaces",
        )
    elif before is None and event.supersedes is not None:
        flag(
            "supersedes",
            f"event {seq} says it supersedes event {event.supersedes}, but there is no "
            f"earlier consensus on {item}",
            "an earlier consensus entry was removed, or this one was edited",
        )
    for eid, value in sorted(event.individual.items()):
        found = sheets.get(eid)
        if found is None:
            continue  # the sheet is missing or unreadable: reported once, by the binding check
        entry = found[1].scores.get((event.bidder, event.criterion))
        on_file = entry.value if entry else None
        if not _same_value(value, on_file):
            flag(
                "individual-mismatch",
                f"event {seq} records {eid}'s score for {item} as {value}, but their sheet "
                f"has {on_file}",
                "the moderation record does not reflect the individual scores on file: one "
                "of the two was changed",
            )


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return str(a) == str(b)


# --------------------------------------------------------------------------- results


def _verify_results(loaded: LoadedWorkspace, out: _Collector) -> dict[str, Any]:
    if not loaded.exports:
        return {"compared": [], "summary": "no results export in the workspace to compare"}
    if not loaded.bids_complete:
        return {
            "compared": [],
            "summary": "not compared: a bid file cannot be read, so results cannot be recomputed",
        }
    try:
        workspace = loaded.workspace()
        recomputed = results_json(evaluate(workspace), loaded.tender_sha256)
    except (BidPanelError, ValueError) as exc:  # ValueError: a value the engine refuses
        for name in loaded.exports:
            out.add(
                "results-uncomputable",
                name,
                f"the results cannot be recomputed from the records: {exc}",
                "the export cannot be confirmed from the records",
            )
        return {"compared": [], "summary": "not compared: results cannot be recomputed"}
    compared = []
    for name, exported in loaded.exports.items():
        differences = _differences(recomputed, exported)
        compared.append({"file": name, "matches": not differences, "differences": differences})
        if differences:
            shown = "; ".join(differences[:4]) + (
                f"; and {len(differences) - 4} more" if len(differences) > 4 else ""
            )
            out.add(
                "results-mismatch",
                name,
                f"the exported results differ from the results recomputed from the records: "
                f"{shown}",
                "the export was edited, or the records changed after it was made: the "
                "published results cannot be reproduced from the evidence",
            )
    matching = sum(c["matches"] for c in compared)
    return {
        "compared": compared,
        "summary": f"{matching} of {len(compared)} export(s) match the results recomputed "
        "from the records",
    }


def _differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` differs from `expected` (only the keys of the stable results JSON)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '/'}: expected an object"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}/{key}: missing from the export")
            else:
                out.extend(_differences(value, actual[key], f"{path}/{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} entries"]
        out = []
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(_differences(e, a, f"{path}/{index}"))
        return out
    if expected != actual:
        return [f"{path}: export {actual!r}, recomputed {expected!r}"]
    return []


def _sample_key_note(loaded: LoadedWorkspace, out: _Collector) -> None:
    """The bundled sample's keys are public: a warning on the sample tender itself, an
    error on any other (its signatures would prove nothing, yet look valid)."""
    sample = [e.id for e in loaded.panel.evaluators if is_sample_key(e.id, e.public_key)]
    if not sample:
        return
    message = "the panel lists the bundled sample's PUBLIC signing keys for " + ", ".join(sample)
    meaning = (
        "anyone can sign with these keys, so signatures made with them prove nothing "
        "about who signed"
    )
    if loaded.tender.reference == SAMPLE_TENDER_REFERENCE:
        out.warn(
            "sample-key",
            PANEL_FILE,
            message,
            meaning + f" (fine for the sample tender {SAMPLE_TENDER_REFERENCE} only)",
        )
    else:
        out.add(
            "sample-key",
            PANEL_FILE,
            message + f", but this is tender {loaded.tender.reference}, not the sample",
            meaning + "; each member makes a key of their own (`bid-panel keys init`) and "
            "the panel lists it",
        )
