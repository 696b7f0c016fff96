"""Checks within and across files, each finding located in the file it concerns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bid_panel.core.bid import Bid
from bid_panel.core.errors import Findings
from bid_panel.core.panel import Panel, Role
from bid_panel.core.sheet import Declaration, ScoreSet, SheetHeader, Submitted
from bid_panel.core.tender import Criterion, CriterionKind, Tender
from bid_panel.core.yamlio import Loaded

HUNDRED = Decimal(100)


def _err(
    findings: Findings, doc: Loaded, loc: tuple, message: str, hint: str, key: bool = False
) -> None:
    line, column = doc.locator.position(loc, key=key)
    findings.error(_name(doc), message, hint, line, column)


def _warn(findings: Findings, doc: Loaded, loc: tuple, message: str, hint: str) -> None:
    line, column = doc.locator.position(loc)
    findings.warning(_name(doc), message, hint, line, column)


def _name(doc: Loaded) -> str:
    return str(doc.path)


# --------------------------------------------------------------------------- tender


def check_tender(doc: Loaded[Tender]) -> Findings:
    findings = Findings()
    tender = doc.model

    seen_scales: dict[str, int] = {}
    for index, scale in enumerate(tender.scales):
        if scale.id in seen_scales:
            _err(
                findings,
                doc,
                ("scales", index, "id"),
                f"duplicate scale id {scale.id!r}",
                f"scale ids must be unique; this one is also scales[{seen_scales[scale.id]}]",
            )
        seen_scales.setdefault(scale.id, index)

    seen: set[str] = set()

    def visit(nodes: list[Criterion], loc: tuple, parent: str | None) -> None:
        weighted = [(i, c) for i, c in enumerate(nodes) if c.kind is not CriterionKind.PASS_FAIL]
        if weighted:
            total = sum((c.weight or Decimal(0) for _, c in weighted), Decimal(0))
            if total != HUNDRED:
                parts = " + ".join(f"{c.id} {c.weight}" for _, c in weighted)
                where = "the top level" if parent is None else f"the children of {parent}"
                _err(
                    findings,
                    doc,
                    (*loc, weighted[0][0], "weight"),
                    f"weights at {where} total {total}, not 100 ({parts})",
                    "adjust the weights so that they add up to exactly 100",
                )
        for index, node in enumerate(nodes):
            here = (*loc, index)
            if node.id in seen:
                _err(
                    findings,
                    doc,
                    (*here, "id"),
                    f"duplicate criterion id {node.id!r}",
                    "every criterion id must be unique in the tender",
                )
            seen.add(node.id)
            if node.scale is not None:
                scale = tender.scale_by_id.get(node.scale)
                if scale is None:
                    _err(
                        findings,
                        doc,
                        (*here, "scale"),
                        f"unknown scale {node.scale!r}",
                        f"use one of: {', '.join(tender.scale_by_id)}",
                    )
                elif node.minimum_score is not None and node.minimum_score > scale.maximum:
                    _err(
                        findings,
                        doc,
                        (*here, "minimum_score"),
                        f"minimum_score {node.minimum_score} is above the scale maximum "
                        f"{scale.maximum}",
                        "lower the threshold",
                    )
            if node.kind is CriterionKind.SCORED and node.weight == 0:
                _warn(
                    findings,
                    doc,
                    (*here, "weight"),
                    f"criterion {node.id!r} has weight 0 and cannot affect the result",
                    "give it a weight, or make it pass_fail",
                )
            visit(node.children, (*here, "children"), node.id)

    visit(tender.criteria, ("criteria",), None)

    for index, rule in enumerate(tender.rules.tie_break):
        if rule.startswith("criterion:") and rule.split(":", 1)[1] not in tender.by_id:
            _err(
                findings,
                doc,
                ("rules", "tie_break", index),
                f"tie-break names unknown criterion {rule.split(':', 1)[1]!r}",
                f"use an id from the criteria: {', '.join(c.id for c in tender.leaves)}",
            )
    return findings


# --------------------------------------------------------------------------- panel


def assigned_leaves(tender: Tender, criteria_ids: list[str]) -> list[Criterion]:
    """Leaves an evaluator scores: named leaves, and every leaf under a named group."""
    wanted: set[str] = set()
    for cid in criteria_ids:
        if cid in tender.by_id:
            wanted.update(c.id for c in tender.leaves_under(cid))
    return [c for c in tender.leaves if c.id in wanted]


def check_panel(doc: Loaded[Panel], tender: Tender | None) -> Findings:
    findings = Findings()
    panel = doc.model
    counts = Counter(e.id for e in panel.evaluators)
    for index, evaluator in enumerate(panel.evaluators):
        if counts[evaluator.id] > 1:
            _err(
                findings,
                doc,
                ("evaluators", index, "id"),
                f"duplicate evaluator id {evaluator.id!r}",
                "every evaluator needs a unique id (it names their score sheet)",
            )
        if evaluator.role is Role.MODERATOR and evaluator.criteria:
            _err(
                findings,
                doc,
                ("evaluators", index, "criteria"),
                "a moderator scores no criteria",
                "remove `criteria:` or change the role",
            )
        if evaluator.role is not Role.MODERATOR and not evaluator.criteria:
            _err(
                findings,
                doc,
                ("evaluators", index),
                f"{evaluator.id} is assigned no criteria",
                "list the criteria (or groups) they evaluate under `criteria:`",
            )
    if not panel.of_role(Role.MODERATOR):
        _warn(
            findings,
            doc,
            ("evaluators",),
            "the panel has no moderator",
            "add an evaluator with role: moderator to chair moderation",
        )
    if tender is None:
        return findings
    if panel.tender_reference != tender.reference:
        _err(
            findings,
            doc,
            ("tender_reference",),
            f"panel is for tender {panel.tender_reference!r}, not {tender.reference!r}",
            "set tender_reference to the tender's reference",
        )
    coverage: Counter[str] = Counter()
    for index, evaluator in enumerate(panel.evaluators):
        for cindex, cid in enumerate(evaluator.criteria):
            criterion = tender.by_id.get(cid)
            loc = ("evaluators", index, "criteria", cindex)
            if criterion is None:
                _err(
                    findings,
                    doc,
                    loc,
                    f"unknown criterion {cid!r}",
                    f"use an id from the tender: {', '.join(tender.by_id)}",
                )
                continue
            kinds = {c.kind for c in tender.leaves_under(cid)}
            if evaluator.role is Role.QUALITY and CriterionKind.PRICE in kinds:
                _err(
                    findings,
                    doc,
                    loc,
                    f"quality evaluator {evaluator.id} is assigned price criterion {cid!r}",
                    "quality evaluators must not see prices (two envelopes): "
                    "give price criteria to a price evaluator",
                )
            if evaluator.role is Role.PRICE and kinds - {CriterionKind.PRICE}:
                _err(
                    findings,
                    doc,
                    loc,
                    f"price evaluator {evaluator.id} is assigned non-price criterion {cid!r}",
                    "price evaluators check prices only; give quality criteria to quality "
                    "evaluators",
                )
        coverage.update(c.id for c in assigned_leaves(tender, evaluator.criteria))
    for leaf in tender.leaves:
        if coverage[leaf.id] == 0:
            _err(
                findings,
                doc,
                ("evaluators",),
                f"no evaluator is assigned criterion {leaf.id!r}",
                "add it to an evaluator's `criteria:` list",
            )
        elif coverage[leaf.id] == 1 and leaf.kind is not CriterionKind.PRICE:
            _warn(
                findings,
                doc,
                ("evaluators",),
                f"only one evaluator scores {leaf.id!r}: there is nothing to moderate",
                "assign at least two evaluators to each quality criterion",
            )
    return findings


# --------------------------------------------------------------------------- bids


def responded_criteria(tender: Tender) -> list[Criterion]:
    """Criteria a bid answers in `responses` (price is answered by the price envelope)."""
    return [c for c in tender.leaves if c.kind is not CriterionKind.PRICE]


def check_bid(doc: Loaded[Bid], tender: Tender | None) -> Findings:
    findings = Findings()
    bid = doc.model
    if bid.price is not None and bid.price.total == 0:
        _err(
            findings,
            doc,
            ("price", "total"),
            "price total is 0",
            "a zero price makes every relative price formula undefined; "
            "correct the price or seek clarification from the bidder",
        )
    if tender is None:
        return findings
    if bid.tender_reference != tender.reference:
        _err(
            findings,
            doc,
            ("tender_reference",),
            f"bid is for tender {bid.tender_reference!r}, not {tender.reference!r}",
            "set tender_reference to the tender's reference",
        )
    expected = {c.id for c in responded_criteria(tender)}
    for cid in bid.responses:
        if cid not in expected:
            criterion = tender.by_id.get(cid)
            why = (
                "is not a criterion of this tender"
                if criterion is None
                else f"is a {criterion.kind} criterion, which takes no written response"
            )
            _err(
                findings,
                doc,
                ("responses", cid),
                f"response for {cid!r}, which {why}",
                f"responses are for: {', '.join(sorted(expected))}",
                key=True,
            )
    for cid in sorted(expected - set(bid.responses)):
        _err(
            findings,
            doc,
            ("responses",),
            f"no response for criterion {cid!r}",
            f"add `{cid}: |` with the bidder's response (write 'No response' if none was given)",
        )
    if tender.price_criteria and bid.price is None:
        _err(
            findings,
            doc,
            (),
            "bid has no `price:` envelope",
            "add the price section: currency, total and lines",
        )
    if bid.price is not None and bid.price.currency != tender.currency:
        _err(
            findings,
            doc,
            ("price", "currency"),
            f"price in {bid.price.currency}, tender in {tender.currency}",
            "convert the price to the tender's currency",
        )
    return findings


def check_bid_set(docs: list[Loaded[Bid]]) -> Findings:
    findings = Findings()
    first: dict[str, Path] = {}
    for doc in docs:
        bid_id = doc.model.bidder.id
        if bid_id in first:
            _err(
                findings,
                doc,
                ("bidder", "id"),
                f"duplicate bidder id {bid_id!r}",
                f"also used in {first[bid_id]}; each bidder needs a unique id",
            )
        first.setdefault(bid_id, doc.path)
    return findings


# --------------------------------------------------------------------------- sheets


def check_sheet_scope(
    name: str,
    header: SheetHeader,
    events: list[Declaration | ScoreSet | Submitted],
    tender: Tender,
    tender_sha256: str,
    panel: Panel,
    bid_ids: set[str],
    locate: Callable[[int], tuple[int, int]],
) -> Findings:
    """Cross-file checks on one sheet: right tender, known evaluator, scores on the scale."""
    findings = Findings()

    def err(index: int, message: str, hint: str) -> None:
        line, column = locate(index)
        findings.error(name, message, hint, line, column)

    if header.tender_reference != tender.reference:
        err(
            -1,
            f"sheet is for tender {header.tender_reference!r}, not {tender.reference!r}",
            "this sheet belongs to another tender's workspace",
        )
    if header.tender_sha256 != tender_sha256:
        err(
            -1,
            "the tender (criteria) file has changed since this sheet began scoring "
            f"(sheet: {header.tender_sha256[:12]}..., now: {tender_sha256[:12]}...)",
            "criteria are frozen once scoring begins: restore the tender file as published",
        )
    evaluator = panel.by_id.get(header.evaluator)
    if evaluator is None:
        err(
            -1,
            f"evaluator {header.evaluator!r} is not on the panel",
            "add them to the panel file or remove this sheet from the workspace",
        )
        return findings
    if Path(name).stem != header.evaluator:
        err(
            -1,
            f"sheet of {header.evaluator!r} is stored as {Path(name).name}",
            f"sheets are named after their evaluator: {header.evaluator}.yaml",
        )
    allowed = {c.id: c for c in assigned_leaves(tender, evaluator.criteria)}
    sealed_by: int | None = None
    for index, event in enumerate(events):
        if sealed_by is not None:
            # Replay ignores such events, so they would sit in the record unexplained.
            err(
                index,
                f"event {event.seq} follows the submission (event {sealed_by}) that sealed "
                "the sheet",
                "nothing may be added to a submitted sheet: restore the sheet as submitted",
            )
        elif isinstance(event, Submitted):
            sealed_by = event.seq
        bidder = getattr(event, "bidder", None)
        if bidder is not None and bidder not in bid_ids:
            err(
                index,
                f"event {event.seq} names unknown bidder {bidder!r}",
                "the bid file for this bidder is missing from bids/",
            )
        if not isinstance(event, ScoreSet):
            continue
        criterion = allowed.get(event.criterion)
        if criterion is None:
            err(
                index,
                f"event {event.seq} scores {event.criterion!r}, "
                f"which is not assigned to {header.evaluator}",
                "evaluators score only their assigned criteria (see the panel file)",
            )
            continue
        problem = value_problem(tender, criterion, event.value)
        if problem:
            err(index, f"event {event.seq}: {problem}", "scores must be allowed values")
    return findings


def value_problem(tender: Tender, criterion: Criterion, value: object) -> str | None:
    """Why `value` is not a valid score for `criterion`, or None when it is."""
    if value is None:
        return None
    if criterion.kind is CriterionKind.SCORED:
        scale = tender.scale_of(criterion)
        if not isinstance(value, Decimal) or value not in scale.allowed:
            return f"{value} is not on the {scale.name} scale (allowed: {scale.describe()})"
    elif criterion.kind is CriterionKind.PASS_FAIL:
        if value not in ("pass", "fail"):
            return f"{str(value)!r} is not pass or fail"  # not "Decimal('1')"
    elif criterion.kind is CriterionKind.PRICE and value not in ("compliant", "non_compliant"):
        return f"{str(value)!r} is not compliant or non_compliant"
    return None
