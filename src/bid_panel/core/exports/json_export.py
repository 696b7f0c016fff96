"""The whole evaluation as one JSON document, format `bid-panel/export@1`.

Published schema: `schemas/export.schema.json` (the same file ships in the package as
`bid_panel/core/exports/schemas/export.schema.json`). Every number is an exact decimal
string, as in `bid-panel/results@1`, which this document embeds unchanged as `results`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

from bid_panel.core.exports.data import NOTICE, ExportData, plain
from bid_panel.core.moderation import Consensus
from bid_panel.core.results import results_json
from bid_panel.core.robustness import robustness_json

EXPORT_FORMAT = "bid-panel/export@1"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _value(value: Decimal | str | None) -> str | None:
    return plain(value) if isinstance(value, Decimal) else value


def _consensus(entry: Consensus) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "value": _value(entry.value),
        "basis": entry.basis,
        "reason": entry.reason,
        "present": list(entry.present),
        "individual": {k: _value(v) for k, v in sorted(entry.individual.items())},
        "supersedes": entry.supersedes,
    }


def score_entries(data: ExportData) -> Iterator[dict[str, Any]]:
    """The `scores` of the document, one bid x leaf at a time (in the document's order)."""
    tender = data.tender
    for bid in data.results.bids:
        for leaf in tender.leaves:
            item = (bid.bidder, leaf.id)
            found = data.items.get(item)
            result = bid.items[leaf.id]
            individual = {
                e.id: _value(data.original(item, e.id))
                for e in data.evaluators
                if found is not None and leaf.id in data.assigned[e.id]
            }
            consensus = data.consensus(item)
            yield {
                "bidder": bid.bidder,
                "criterion": leaf.id,
                "individual": individual,
                "spread": _num(found.spread) if found else None,
                "flagged": bool(found and found.flagged),
                "value": _value(result.value),
                "source": str(result.source),
                "basis": consensus.basis if consensus else None,
                "reason": result.reason or None,
                "points": _num(result.points),
                "contribution": _num(result.contribution),
                "history": [_consensus(c) for c in data.history(item)],
            }


def export_json(data: ExportData) -> dict[str, Any]:
    """The whole document (`render` writes the same, without holding `scores` whole)."""
    document = _document(data)
    document["scores"] = list(score_entries(data))
    return document


def _document(data: ExportData) -> dict[str, Any]:
    """The document with `scores` left empty (filled in by `export_json` or `render`)."""
    tender = data.tender
    rules = tender.rules
    state = data.state
    return {
        "format": EXPORT_FORMAT,
        "generated_at": data.generated_text,
        "notice": NOTICE,
        "tender": {
            "reference": tender.reference,
            "title": tender.title,
            "authority": tender.authority,
            "sha256": data.workspace.tender_sha256,
            "contract_term_months": tender.contract_term_months,
            "currency": tender.currency,
            "evaluation_method": tender.evaluation_method,
        },
        "method": {
            "rules": {
                "rounding": {
                    "decimal_places": rules.rounding.decimal_places,
                    "mode": rules.rounding.mode,
                },
                "tie_break": list(rules.tie_break),
                "spread_threshold_percent": plain(rules.spread_threshold_percent),
                "justification_min_length": rules.justification_min_length,
                "share_winner_scores": rules.share_winner_scores,
            },
            "criteria": [
                {
                    "number": data.numbers[c.id],
                    "id": c.id,
                    "title": c.title,
                    "kind": str(c.kind),
                    "parent": tender.parents[c.id],
                    "weight": _num(c.weight),
                    "points": _num(data.results.points[c.id]),
                    "scale": c.scale,
                    "minimum_score": _num(c.minimum_score),
                    "failing_disqualifies": c.failing_disqualifies,
                    "formula": c.formula.value if c.formula else None,
                    "formula_text": c.formula.text if c.formula else None,
                    "ceiling_price": _num(c.ceiling_price),
                    "guidance": c.guidance,
                }
                for c in tender.walk()
            ],
            "scales": [
                {
                    "id": s.id,
                    "name": s.name,
                    "values": [
                        {"value": plain(v.value), "label": v.label, "descriptor": v.descriptor}
                        for v in s.values
                    ],
                }
                for s in tender.scales
            ],
        },
        "panel": [
            {
                "id": e.id,
                "name": e.name,
                "role": str(e.role),
                "criteria": list(e.criteria),
                "withdrawn": state.withdrawn[e.id].reason if e.id in state.withdrawn else None,
            }
            for e in data.workspace.panel.evaluators
        ],
        "results": results_json(data.results, data.workspace.tender_sha256),
        "scores": [],
        "moderation": {
            "opened_at": state.opened.at.isoformat() if state.opened else None,
            "present": list(state.opened.present) if state.opened else [],
            "signed_at": state.signed.at.isoformat() if state.signed else None,
            "entries_since_signed": state.events_since_signed,
        },
        "robustness": robustness_json(data.robustness),
    }


def dumps(document: Any) -> bytes:
    """json.dumps(document, indent=2, ensure_ascii=False) and a line break, as UTF-8."""
    out = io.BytesIO()
    _write(out, document, 0)
    out.write(b"\n")
    return out.getvalue()


def dumps_streamed(document: dict[str, Any], key: str, items: Iterable[Any]) -> bytes:
    """`dumps` of `document` with `items` as the list under its top-level `key`, written
    one item at a time: a large export's `scores` (12,000 entries, half its 27 MB) are never
    all in memory at once, nor is the whole text beside its UTF-8 bytes (benchmarks/
    pipeline.py, profiled). The same bytes as `dumps` of the document holding the list."""
    out = io.BytesIO()
    if not document:
        out.write(b"{}")
    for index, (name, value) in enumerate(document.items()):
        out.write(b",\n  " if index else b"{\n  ")
        out.write(_ENCODER.encode(name).encode("utf-8") + b": ")
        if name != key:
            _write(out, value, 1)
            continue
        empty = True
        for item in items:
            out.write(b"[\n    " if empty else b",\n    ")
            _write(out, item, 2)
            empty = False
        out.write(b"[]" if empty else b"\n  ]")
    if document:
        out.write(b"\n}")
    out.write(b"\n")
    return out.getvalue()


_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)


def _write(out: io.BytesIO, value: Any, level: int) -> None:
    """Write `value` as json.dumps(indent=2) would inside a document, `level` deep: the
    lines after the first indented by two spaces a level (a line break never occurs inside
    a JSON string, so every one of them is between values). Written in pieces of about
    64 KB: the text is never whole beside its UTF-8 bytes, and joining millions of small
    strings at 100,000 scores peaked at over twice the memory (benchmarks/run.py)."""
    indent = "\n" + "  " * level
    pending: list[str] = []
    size = 0
    for chunk in _ENCODER.iterencode(value):
        pending.append(chunk)
        size += len(chunk)
        if size >= 65536:
            _flush(out, pending, indent)
            pending, size = [], 0
    _flush(out, pending, indent)


def _flush(out: io.BytesIO, pending: list[str], indent: str) -> None:
    text = "".join(pending)
    if indent != "\n":
        text = text.replace("\n", indent)
    out.write(text.encode("utf-8"))


def export_schema() -> dict[str, Any]:
    """The published JSON Schema of `bid-panel/export@1`."""
    text = resources.files(__package__).joinpath("schemas/export.schema.json").read_text("utf-8")
    return json.loads(text)


def render(data: ExportData) -> dict[str, bytes]:
    document = dumps_streamed(_document(data), "scores", score_entries(data))
    return {f"{data.stem}-evaluation.json": document}
