"""Findings: located, readable problems with a user's files.

Every problem bid_panel reports about a file is a `Finding`: which file, where in it,
what is wrong and how to fix it. Loaders collect findings instead of stopping at the
first, so a person fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file. `line` and `column` are 1-based (0 when unknown)."""

    file: str
    message: str
    hint: str = ""
    line: int = 0
    column: int = 0
    severity: Severity = Severity.ERROR

    @property
    def where(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file

    def __str__(self) -> str:
        text = f"{self.where}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Findings:
    """An ordered collection of findings, the result of any validation."""

    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.items.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.items.extend(findings)

    def error(
        self, file: str | Path, message: str, hint: str = "", line: int = 0, column: int = 0
    ) -> None:
        self.items.append(Finding(str(file), message, hint, line, column))

    def warning(
        self, file: str | Path, message: str, hint: str = "", line: int = 0, column: int = 0
    ) -> None:
        self.items.append(Finding(str(file), message, hint, line, column, Severity.WARNING))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


class BidPanelError(Exception):
    """A user-facing error: the CLI prints it without a traceback and exits 2."""

    exit_code = 2

    def __init__(self, message: str, findings: Iterable[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.findings:
            return head
        return head + "\n" + "\n".join(str(f) for f in self.findings)


class InvalidFiles(BidPanelError):
    """One or more files failed validation; `findings` says where and why."""


class SheetLocked(BidPanelError):
    """Another process holds the lock on a record file."""


class RecordError(BidPanelError):
    """A record cannot be appended to (sealed, broken chain, wrong owner...)."""
