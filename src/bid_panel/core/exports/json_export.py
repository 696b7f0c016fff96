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
from functools import partial
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
    document = {k: v() if callable(v) else v for k, v in _document(data).items()}
    document["scores"] = list(score_entries(data))
    return document


def _document(data: ExportData) -> dict[str, Any]:
    """The document with `scores` left empty (filled in by `export_json` or `render`), and
    its two other large parts, the results and the robustness checks (2 and 5 MB of a large
    tender's export), as functions that make them, so that a writer makes each only when it
    writes it and lets it go before the next (see `chunks`)."""
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
        "results": partial(results_json, data.results, data.workspace.tender_sha256),
        "scores": [],
        "moderation": {
            "opened_at": state.opened.at.isoformat() if state.opened else None,
            "present": list(state.opened.present) if state.opened else [],
            "signed_at": state.signed.at.isoformat() if state.signed else None,
            "entries_since_signed": state.events_since_signed,
        },
        "robustness": partial(robustness_json, data.robustness),
    }


def dumps(document: Any) -> bytes:
    """json.dumps(document, indent=2, ensure_ascii=False) and a line break, as UTF-8."""
    return _joined(_pieces([(_ENCODER.iterencode(document), 0), (["\n"], 0)]))


def chunks(document: dict[str, Any], key: str, items: Iterable[Any]) -> Iterator[bytes]:
    """`dumps` of `document` with `items` as the list under its top-level `key`, in pieces
    of about 64 KB, made as they are asked for: the items (a large export's 12,000 scores,
    half its 27 MB) are never all in memory at once, nor is the text whole beside its UTF-8
    bytes (benchmarks/pipeline.py, profiled). Joined, the same bytes as `dumps` of the
    document holding the list. A value that is a function is called when written: the
    value it gives is let go once written."""
    return _pieces(_parts(document, key, items))


Part = tuple[Iterable[str], int]
"""Text, and how many levels deep it is (see `_pieces`)."""


def _parts(document: dict[str, Any], key: str, items: Iterable[Any]) -> Iterator[Part]:
    if not document:
        yield ["{}"], 0
    for index, (name, value) in enumerate(document.items()):
        yield [(",\n  " if index else "{\n  "), _ENCODER.encode(name), ": "], 0
        if name != key:
            yield _ENCODER.iterencode(value() if callable(value) else value), 1
            continue
        empty = True
        for item in items:
            yield ["[\n    " if empty else ",\n    "], 0
            yield _ENCODER.iterencode(item), 2
            empty = False
        yield ["[]" if empty else "\n  ]"], 0
    yield ["\n}\n" if document else "\n"], 0


_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)


def _pieces(parts: Iterable[Part]) -> Iterator[bytes]:
    """The parts' text as UTF-8, in pieces of about 64 KB (joining millions of small strings
    at once, at 100,000 scores, peaked at over twice the memory: benchmarks/run.py). Text
    `level` deep is written as json.dumps(indent=2) writes it inside a document: each line
    after its first indented by two more spaces a level (a line break never occurs inside a
    JSON string, so every one of them is between values)."""
    done: list[str] = []
    size = 0
    for texts, level in parts:
        pending: list[str] = []
        for text in texts:
            pending.append(text)
            size += len(text)
            if size >= 65536:
                done.append(_indented(pending, level))
                yield "".join(done).encode("utf-8")
                done, pending, size = [], [], 0
        done.append(_indented(pending, level))
    yield "".join(done).encode("utf-8")


def _indented(texts: list[str], level: int) -> str:
    text = "".join(texts)
    return text.replace("\n", "\n" + "  " * level) if level else text


def _joined(pieces: Iterable[bytes]) -> bytes:
    out = io.BytesIO()
    for piece in pieces:
        out.write(piece)
    return out.getvalue()


def export_schema() -> dict[str, Any]:
    """The published JSON Schema of `bid-panel/export@1`."""
    text = resources.files(__package__).joinpath("schemas/export.schema.json").read_text("utf-8")
    return json.loads(text)


def file_name(data: ExportData) -> str:
    return f"{data.stem}-evaluation.json"


def render_chunks(data: ExportData) -> Iterator[bytes]:
    """The file's bytes piece by piece, for writing as it is made (see `exports.export`)."""
    return chunks(_document(data), "scores", score_entries(data))


def render(data: ExportData) -> dict[str, bytes]:
    return {file_name(data): _joined(render_chunks(data))}
