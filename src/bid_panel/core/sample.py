"""The bundled sample tender, and `bid-panel init` to make a workspace from it.

The sample lives at the top of the repository (criteria/, panels/, sample_bids/,
sample_scores/); a built wheel carries a copy inside the package (bid_panel/sample/).
Sample scores are written through the same sessions a panel member and a moderator use,
so their hash chains are real.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bid_panel.core import clock
from bid_panel.core.atomic import explain_os_error
from bid_panel.core.errors import BidPanelError
from bid_panel.core.moderation import ModerationSession, conflicted
from bid_panel.core.panel import Role
from bid_panel.core.session import ScoringSession
from bid_panel.core.signing import is_sample_key, sample_key, signer
from bid_panel.core.workspace import BIDS_DIR, PANEL_FILE, TENDER_FILE, load_workspace
from bid_panel.core.yamlio import read_yaml_file


@dataclass(frozen=True)
class SampleFiles:
    tender: Path
    panel: Path
    bids: list[Path]
    scores: Path
    moderation: Path


def sample_root() -> Path:
    """Where the sample files are: inside the installed package, else the source tree."""
    packaged = Path(__file__).resolve().parent.parent / "sample"
    if (packaged / "criteria").is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[3]
    if (source_tree / "criteria").is_dir():
        return source_tree
    raise BidPanelError("the bundled sample tender is missing from this installation")


def sample_files() -> SampleFiles:
    root = sample_root()
    return SampleFiles(
        tender=root / "criteria" / "childrens-services-leadership.yaml",
        panel=root / "panels" / "childrens-services-panel.yaml",
        bids=sorted((root / "sample_bids").glob("*.yaml")),
        scores=root / "sample_scores" / "scores.yaml",
        moderation=root / "sample_scores" / "moderation.yaml",
    )


def init_workspace(target: Path, *, with_sample_scores: bool = False) -> Path:
    """Create a workspace at `target` from the sample tender (refuses a non-empty folder)."""
    try:
        existed = target.exists()
        if existed and (not target.is_dir() or any(target.iterdir())):
            raise BidPanelError(
                f"{target} already exists and is not an empty folder; choose a new folder"
            )
    except OSError as exc:
        raise explain_os_error(exc, target, "create the workspace") from None
    files = sample_files()
    try:
        (target / BIDS_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files.tender, target / TENDER_FILE)
        shutil.copyfile(files.panel, target / PANEL_FILE)
        for bid in files.bids:
            shutil.copyfile(bid, target / BIDS_DIR / bid.name)
        if with_sample_scores:
            write_sample_scores(target, files)
    except BaseException as exc:
        if not existed:  # leave no half-made workspace behind
            shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, OSError):
            raise explain_os_error(exc, target, "create the workspace") from None
        raise
    return target


@contextmanager
def _steady_clock(start: datetime, step: timedelta) -> Iterator[None]:
    """A clock that ticks a fixed step per reading, so sample records are reproducible."""
    moment = [start]

    def tick() -> datetime:
        moment[0] += step
        return moment[0]

    clock.set_clock(tick)
    try:
        yield
    finally:
        clock.set_clock(None)


def _value(raw: Any) -> Decimal | str:
    return raw if isinstance(raw, str) else Decimal(str(raw))


def _sample_signer(evaluator_id: str, public_key: str | None) -> tuple[Any, str | None]:
    """The sample's PUBLIC, sample-only key when the panel lists it (see core.signing);
    Ed25519 signatures are deterministic, so the sample records stay reproducible."""
    if not is_sample_key(evaluator_id, public_key):
        return None, None
    return signer(sample_key(evaluator_id)), public_key


def write_sample_scores(target: Path, files: SampleFiles) -> None:
    workspace = load_workspace(target)
    _, scores = read_yaml_file(files.scores)
    _, moderation = read_yaml_file(files.moderation)
    conflicts = {(d["evaluator"], d["bidder"]): d["note"] for d in scores.get("declarations", [])}
    with _steady_clock(datetime(2026, 10, 5, 8, 0, tzinfo=UTC), timedelta(minutes=3)):
        for evaluator in workspace.panel.evaluators:
            if evaluator.role is Role.MODERATOR:
                continue
            with ScoringSession(workspace, evaluator.id) as session:
                for bidder in session.bidders:
                    note = conflicts.get((evaluator.id, bidder), "")
                    session.declare(bidder, conflict=bool(note), note=note)
                for entry in scores["scores"]:
                    if entry["evaluator"] == evaluator.id:
                        session.set_score(
                            (entry["bidder"], entry["criterion"]),
                            _value(entry["value"]),
                            entry["justification"].strip(),
                        )
                sign, public_key = _sample_signer(evaluator.id, evaluator.public_key)
                session.submit(sign=sign, public_key=public_key)
    moderator = workspace.panel.of_role(Role.MODERATOR)[0]
    meeting = moderation["meeting"]
    present = list(meeting["present"])
    held = meeting["held_at"]
    start = held.astimezone(UTC) if isinstance(held, datetime) else datetime.fromisoformat(held)
    with (
        _steady_clock(start, timedelta(minutes=4)),
        ModerationSession(workspace, moderator.id) as session,
    ):
        session.open(present)
        items = session.items()
        for entry in moderation["consensus"]:
            item = (entry["bidder"], entry["criterion"])
            value = _value(entry["value"])
            scores_ = items[item]
            agreed = scores_.unanimous and not scores_.flagged and scores_.values[0] == value
            session.agree(
                item,
                value,
                entry["reason"].strip(),
                # recused members take no part in discussing the bid they declared on
                [p for p in present if p not in conflicted(workspace, item[0])],
                basis="accepted_agreement" if agreed else "discussed",
            )
        session.sign(*_sample_signer(moderator.id, moderator.public_key))
