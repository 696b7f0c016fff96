"""A synthetic tender of N bids x M criteria x K evaluators, complete and valid.

    python benchmarks/generate.py OUT_DIR [--bids 300] [--criteria 40] [--evaluators 9]

Writes tender.yaml (M scored criteria in groups of up to 8 under a quality group, plus a
price criterion), panel.yaml (K-1 quality evaluators who score every quality criterion, one
price evaluator, a moderator), N bid files, a submitted score sheet per evaluator and a
signed-off moderation record with a reasoned consensus on every item: 300 x 40 x 9 is
96,000 quality scores plus 300 price checks and 12,000 consensus entries, the size of a
large framework tender.

The records are written through the ledger's own event models, hashes and renderer (not
through `ScoringSession`, which rewrites the whole sheet on every save and would take
hours at this size): they verify like any sheet written by the app. Scores are seeded
random, spread by at most one point, so nothing is flagged and the results are final.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bid_panel.core.ledger import (
    RecordFile,
    RecordFormat,
    canonical_json,
    header_hash,
    sha256_hex,
)
from bid_panel.core.moderation import MODERATION, ModerationHeader
from bid_panel.core.panel import Role
from bid_panel.core.sheet import SHEET, SheetHeader
from bid_panel.core.signing import public_key_text, sign_hash
from bid_panel.core.workspace import file_sha256

REFERENCE = "BENCH-2026-{bids}x{criteria}x{evaluators}"
START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)

WORDS = """
director leadership ofsted inspection improvement plan safeguarding audit workforce agency
social workers caseload supervision training academy practice framework outcomes children
families partnership governance board quarterly targets timeliness assessments referrals
placements sufficiency fostering residential care leavers corporate parenting voice data
dashboard performance quality assurance restorative systemic signs safety coaching mentoring
recruitment retention managers team apprentices university partnership investment budget
""".split()  # noqa: SIM905 - a word list reads better as text


def _key(member: str) -> Ed25519PrivateKey:
    """A fixed Ed25519 key per member (derived, so reruns give the same bytes): the records
    are signed as a real panel's are, and `verify` checks every signature."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"bench {member}".encode()).digest())


def _public(member: str) -> str:
    return public_key_text(_key(member).public_key())


def write_keys(config_dir: Path, members: list[str]) -> None:
    """The members' private keys, where `BID_PANEL_CONFIG_DIR=config_dir` finds them (a sheet
    opens only for the holder of its evaluator's key)."""
    from cryptography.hazmat.primitives import serialization

    folder = config_dir / "keys"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    config_dir.chmod(0o700)
    folder.chmod(0o700)
    for member in members:
        path = folder / f"{member}.pem"
        path.write_bytes(
            _key(member).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)


def members(evaluators: int) -> list[str]:
    return [*(f"quality-{i + 1:02d}" for i in range(evaluators - 1)), "price-01", "moderator"]


def _split(total: int, parts: int) -> list[int]:
    """`total` as `parts` whole numbers that add up to it exactly."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _response(rng: random.Random) -> str:
    """A bid's Markdown response to one criterion, about as long as the sample's (1-2 KB):
    two paragraphs, one with a bold name, and a list."""
    first = _sentence(rng, 45)
    words = first.split()
    words[3] = f"**{words[3]}**"
    bullets = "\n".join(f"- {_sentence(rng, 12)}" for _ in range(4))
    return f"{' '.join(words)}\n\n{_sentence(rng, 50)}\n\n{bullets}\n"


class _Dumper(yaml.CSafeDumper):
    """Multi-line text as `|` blocks, as people write bids."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )


def _write_record(
    fmt: RecordFormat, path: Path, header: Any, drafts: list[dict], signer: str | None = None
) -> str:
    """Chain `drafts` (event fields without seq/prev/hash) after `header` and write the
    record in one go, exactly as the ledger would have; returns the head hash. The last
    event is signed with `signer`'s key: a sheet's seal signs its own hash, the
    moderator's `signed` entry the head hash before it (as the sessions do)."""
    adapter = fmt.event_adapter
    events = []
    prev = header_hash(header)
    for seq, fields in enumerate(drafts, start=1):
        draft = {"seq": seq, "prev": prev, **fields}
        content = adapter.dump_python(
            adapter.validate_python({**draft, "hash": "0" * 64}), mode="json"
        )
        content.pop("hash")
        content.pop("signature", None)
        digest = sha256_hex(canonical_json(content))
        full = {**draft, "hash": digest}
        if signer is not None and seq == len(drafts):
            signed = prev if fields["type"] == "signed" else digest
            full["signature"] = sign_hash(_key(signer), signed)
        events.append(adapter.validate_python(full))
        prev = digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RecordFile(path, header, events).render(), encoding="utf-8")
    return prev


def generate(
    root: Path, bids: int = 300, criteria: int = 40, evaluators: int = 9, seed: int = 1
) -> Path:
    rng = random.Random(seed)
    reference = REFERENCE.format(bids=bids, criteria=criteria, evaluators=evaluators)
    clock = iter(START + timedelta(seconds=i) for i in range(10**9))

    # ---------------------------------------------------------------- tender
    group_sizes = _split(criteria, -(-criteria // 8))
    groups, leaves = [], []
    for g, (size, weight) in enumerate(
        zip(group_sizes, _split(100, len(group_sizes)), strict=True)
    ):
        children = []
        for c, child_weight in enumerate(_split(100, size)):
            cid = f"c{g + 1:02d}-{c + 1:02d}"
            leaves.append(cid)
            children.append(
                {
                    "id": cid,
                    "title": f"Criterion {g + 1}.{c + 1}",
                    "kind": "scored",
                    "weight": child_weight,
                    "scale": "quality-0-5",
                    "guidance": _sentence(rng, 25),
                }
            )
        groups.append(
            {
                "id": f"g{g + 1:02d}",
                "title": f"Section {g + 1}",
                "kind": "group",
                "weight": weight,
                "children": children,
            }
        )
    labels = ["Unacceptable", "Poor", "Limited", "Satisfactory", "Good", "Excellent"]
    _dump(
        root / "tender.yaml",
        {
            "format": "bid-panel/tender@1",
            "reference": reference,
            "title": f"Synthetic framework tender ({bids} bids, {criteria} criteria)",
            "authority": "Benchmark Borough Council",
            "contract_term_months": 30,
            "currency": "GBP",
            "evaluation_method": "Quality 70%, price 30% relative to the lowest price.",
            "rules": {"justification_min_length": 40, "spread_threshold_percent": 40},
            "scales": [
                {
                    "id": "quality-0-5",
                    "name": "Quality 0-5",
                    "values": [
                        {"value": v, "label": labels[v], "descriptor": _sentence(rng, 12)}
                        for v in range(6)
                    ],
                }
            ],
            "criteria": [
                {
                    "id": "quality",
                    "title": "Quality",
                    "kind": "group",
                    "weight": 70,
                    "children": groups,
                },
                {
                    "id": "cost",
                    "title": "Price",
                    "kind": "price",
                    "weight": 30,
                    "formula": "relative_to_lowest",
                },
            ],
        },
    )

    # ---------------------------------------------------------------- panel
    quality = [f"quality-{i + 1:02d}" for i in range(evaluators - 1)]
    panel = [
        {"id": q, "name": f"Quality evaluator {i + 1}", "role": "quality", "criteria": ["quality"]}
        for i, q in enumerate(quality)
    ]
    panel += [
        {"id": "price-01", "name": "Price evaluator", "role": "price", "criteria": ["cost"]},
        {"id": "moderator", "name": "Procurement lead", "role": "moderator"},
    ]
    for member in panel:
        member["public_key"] = _public(member["id"])
    _dump(
        root / "panel.yaml",
        {"format": "bid-panel/panel@1", "tender_reference": reference, "evaluators": panel},
    )

    # ---------------------------------------------------------------- bids
    bidders = [f"bidder-{i + 1:04d}" for i in range(bids)]
    responses: dict[str, dict[str, str]] = {}
    for index, bidder in enumerate(bidders):
        responses[bidder] = {cid: _response(rng) for cid in leaves}
        first = rng.randrange(400_000, 900_000)
        second = rng.randrange(400_000, 900_000)
        _dump(
            root / "bids" / f"{bidder}.yaml",
            {
                "format": "bid-panel/bid@1",
                "tender_reference": reference,
                "bidder": {
                    "id": bidder,
                    "name": f"Bidder {index + 1} Ltd",
                    "organisation_type": "company",
                },
                "submitted_at": (START - timedelta(days=5, minutes=index)).isoformat(),
                "responses": responses[bidder],
                "price": {
                    "currency": "GBP",
                    "total": first + second,
                    "lines": [
                        {"description": "Director of Children's Services", "amount": first},
                        {"description": "Training and investment", "amount": second},
                    ],
                },
            },
        )
    tender_sha = file_sha256(root / "tender.yaml")

    # ---------------------------------------------------------------- sheets
    base = {(b, c): rng.randrange(1, 5) for b in bidders for c in leaves}
    scores: dict[str, dict[tuple[str, str], int]] = {}
    seals: dict[str, str] = {}
    for who, role in [*((q, Role.QUALITY) for q in quality), ("price-01", Role.PRICE)]:
        header = SheetHeader(
            tender_reference=reference,
            tender_sha256=tender_sha,
            evaluator=who,
            role=role,
            created_at=next(clock),
        )
        drafts: list[dict[str, Any]] = [
            {"type": "declaration", "bidder": b, "conflict": False, "note": "", "at": next(clock)}
            for b in bidders
        ]
        count = 0
        if role is Role.QUALITY:
            mine = {item: value + rng.randrange(2) for item, value in base.items()}
            scores[who] = mine
            for (bidder, cid), value in mine.items():
                words = responses[bidder][cid].split()
                quote = " ".join(words[rng.randrange(20) :][:12])
                drafts.append(
                    {
                        "type": "score",
                        "bidder": bidder,
                        "criterion": cid,
                        "value": Decimal(value),
                        "justification": f"The response says: {quote}; this earns a "
                        f"{labels[value].lower()} score.",
                        "at": next(clock),
                    }
                )
                count += 1
        else:
            for bidder in bidders:
                drafts.append(
                    {
                        "type": "score",
                        "bidder": bidder,
                        "criterion": "cost",
                        "value": "compliant",
                        "justification": "Price lines complete and add up; not abnormally low.",
                        "at": next(clock),
                    }
                )
                count += 1
        drafts.append(
            {
                "type": "submitted",
                "items": count,
                "statement": "I scored these bids independently, against the published "
                "criteria only.",
                "public_key": _public(who),
                "at": next(clock),
            }
        )
        seals[who] = _write_record(SHEET, root / "sheets" / f"{who}.yaml", header, drafts, who)

    # ---------------------------------------------------------------- moderation
    header = ModerationHeader(
        tender_reference=reference,
        tender_sha256=tender_sha,
        moderator="moderator",
        created_at=next(clock),
    )
    present = [*quality]
    drafts = [
        {
            "type": "opened",
            "sheet_seals": dict(sorted(seals.items())),
            "present": present,
            "at": next(clock),
        }
    ]
    quality_seals = {q: seals[q] for q in quality}
    for bidder in bidders:
        for cid in leaves:
            individual = {q: Decimal(scores[q][(bidder, cid)]) for q in quality}
            values = sorted(individual.values())
            agreed = values[(len(values) - 1) // 2]
            unanimous = values[0] == values[-1]
            drafts.append(
                {
                    "type": "consensus",
                    "bidder": bidder,
                    "criterion": cid,
                    "value": agreed,
                    "reason": "The panel agreed the response shows "
                    + " ".join(responses[bidder][cid].split()[:10]).lower()
                    + "; no higher score because the evidence is not dated.",
                    "basis": "accepted_agreement" if unanimous else "discussed",
                    "present": present,
                    "individual": individual,
                    "sheet_seals": quality_seals,
                    "at": next(clock),
                }
            )
    drafts.append({"type": "signed", "public_key": _public("moderator"), "at": next(clock)})
    _write_record(MODERATION, root / "moderation.yaml", header, drafts, "moderator")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bids", type=int, default=300)
    parser.add_argument("--criteria", type=int, default=40)
    parser.add_argument("--evaluators", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty")
    generate(args.out, args.bids, args.criteria, args.evaluators, args.seed)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
