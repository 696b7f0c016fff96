"""OCDS: a release package for the award decision (Open Contracting Data Standard 1.1,
with the bids extension).

- `tender`: the reference, title, procuring entity, `awardCriteria` (ratedCriteria,
  priceOnly or qualityOnly) and `awardCriteriaDetails` (the criteria, weights, price formula
  and tie-break rules in words), the number of tenderers and who they are.
- `bids.details[]` (bids extension): one per bid, with `status` (`valid` for a ranked bid,
  `disqualified` for an excluded one), the tendered `value` and the `tenderers`.
- `awards[]`: the most advantageous tender, `status: pending` (standstill), with its
  supplier, value and `relatedBids`.

Individual evaluators' scores, moderation reasons and the panel never appear. Ids are
deterministic: `ocid` is the prefix plus the tender reference, and every other id derives
from the ocid and the bidder ids. The package's `publishedDate` is the export's
`generated_at`; the release's `date` is when the moderation record last changed.

The tests validate against `schemas/ocds-release-package.subset.schema.json`, a subset of
the official release package schema, release schema and bids extension (Draft 4).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from importlib import resources
from typing import Any

from bid_panel.core.errors import BidPanelError
from bid_panel.core.exports.data import (
    ExportData,
    ExportRefused,
    plain,
    provisional_findings,
)
from bid_panel.core.tender import CriterionKind, number_text

OCDS_VERSION = "1.1"
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
DEFAULT_OCID_PREFIX = "ocds-bidpanel"
"""A placeholder: a publisher sets its own prefix, registered with the Open Contracting
Partnership, before publishing (`--ocid-prefix`)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "buyer"


class _Number:
    """A Decimal to write as a JSON number with its exact digits (see `dumps`)."""

    def __init__(self, value: Decimal) -> None:
        self.text = plain(value)


def award_criteria(data: ExportData) -> str:
    tender = data.tender
    has_price = bool(tender.price_criteria)
    has_quality = any(c.kind is CriterionKind.SCORED for c in tender.leaves)
    if has_price and has_quality:
        return "ratedCriteria"
    return "priceOnly" if has_price else "qualityOnly"


def award_criteria_details(data: ExportData) -> str:
    tender = data.tender
    points = data.results.points
    parts = []
    for criterion in tender.walk():
        number = data.numbers[criterion.id]
        if criterion.kind is CriterionKind.PASS_FAIL:
            effect = "excludes" if criterion.failing_disqualifies else "does not exclude"
            parts.append(f"{number} {criterion.title}: pass/fail; failing {effect} the tender")
            continue
        text = f"{number} {criterion.title}: {data.shown(points[criterion.id])} points"
        if criterion.kind is CriterionKind.SCORED:
            scale = tender.scale_of(criterion)
            text += f", scored {scale.describe()}"
            if criterion.minimum_score is not None:
                text += f", minimum {number_text(criterion.minimum_score)}"
        elif criterion.kind is CriterionKind.PRICE:
            assert criterion.formula is not None
            text += f", price formula {criterion.formula.text}"
            if criterion.ceiling_price is not None:
                text += f" with C = {plain(criterion.ceiling_price)}"
        parts.append(text)
    rules = tender.rules
    return (
        "Most advantageous tender on weighted criteria (points of 100): "
        + "; ".join(parts)
        + f". Equal totals are decided by: {', '.join(rules.tie_break)}. Figures are shown to "
        f"{rules.rounding.decimal_places} decimal places ({rules.rounding.mode})."
    )


def release_package(data: ExportData, ocid_prefix: str = DEFAULT_OCID_PREFIX) -> dict[str, Any]:
    """The package, with prices as `_Number` placeholders (see `dumps`)."""
    tender = data.tender
    results = data.results
    ocid = f"{ocid_prefix}-{tender.reference}"
    buyer = {"id": _slug(tender.authority), "name": tender.authority}
    recorded = data.recorded_at()
    date = recorded.isoformat() if recorded else data.generated_text
    bids = data.workspace.bids

    def ref(bidder: str) -> dict[str, str]:
        return {"id": bidder, "name": bids[bidder].bidder.name}

    def bid_id(bidder: str) -> str:
        return f"{ocid}-bid-{bidder}"

    def value(bidder: str) -> dict[str, Any] | None:
        price = bids[bidder].price
        if price is None:
            return None
        return {"amount": _Number(price.total), "currency": price.currency}

    winner = results.winner
    parties = [{**buyer, "roles": ["buyer", "procuringEntity"]}]
    for bidder in sorted(bids):
        roles = ["tenderer"]
        if winner is not None and winner.bidder == bidder:
            roles.append("supplier")
        parties.append({**ref(bidder), "roles": roles})

    details = []
    for bidder in sorted(bids):
        result = results.by_bidder(bidder)
        detail: dict[str, Any] = {
            "id": bid_id(bidder),
            "date": bids[bidder].submitted_at.isoformat(),
            "status": "disqualified" if result.excluded else "valid",
            "tenderers": [ref(bidder)],
        }
        amount = value(bidder)
        if amount is not None:
            detail["value"] = amount
        details.append(detail)

    awards = []
    if winner is not None:
        award: dict[str, Any] = {
            "id": f"{ocid}-award-1",
            "title": f"Award of {tender.title}",
            "status": "pending",
            "date": date,
            "suppliers": [ref(winner.bidder)],
            "relatedBids": [bid_id(winner.bidder)],
        }
        amount = value(winner.bidder)
        if amount is not None:
            award["value"] = amount
        award["description"] = (
            f"Most advantageous tender: {winner.name}, ranked first with "
            f"{data.shown(winner.overall)} points of 100. Contract term "
            f"{tender.contract_term_months} months. Pending until the standstill period ends."
        )
        awards.append(award)

    release = {
        "ocid": ocid,
        "id": f"{ocid}-award",
        "date": date,
        "tag": ["award"],
        "initiationType": "tender",
        "language": "en",
        "parties": parties,
        "buyer": buyer,
        "tender": {
            "id": tender.reference,
            "title": tender.title,
            "status": "complete",
            "procuringEntity": buyer,
            "awardCriteria": award_criteria(data),
            "awardCriteriaDetails": award_criteria_details(data),
            "numberOfTenderers": len(bids),
            "tenderers": [ref(b) for b in sorted(bids)],
        },
        "bids": {
            "statistics": [
                {"id": "1", "measure": "bids", "value": len(bids)},
                {
                    "id": "2",
                    "measure": "disqualifiedBids",
                    "value": sum(1 for b in results.bids if b.excluded),
                },
            ],
            "details": details,
        },
        "awards": awards,
    }
    return {
        "version": OCDS_VERSION,
        "extensions": [BID_EXTENSION],
        "publishedDate": data.generated_text,
        "publisher": {"name": tender.authority},
        "releases": [release],
    }


def dumps(package: dict[str, Any]) -> bytes:
    """JSON with every amount written as an exact JSON number (never via float)."""
    numbers: dict[str, str] = {}

    def default(value: Any) -> Any:
        if isinstance(value, _Number):
            token = f"@@number-{len(numbers)}@@"
            numbers[token] = value.text
            return token
        raise TypeError(f"not serialisable: {type(value).__name__}")

    text = json.dumps(package, indent=2, ensure_ascii=False, default=default)
    for token, number in numbers.items():
        text = text.replace(f'"{token}"', number)
    return (text + "\n").encode("utf-8")


def subset_schema() -> dict[str, Any]:
    """The OCDS schema subset the tests validate against (shipped in the package)."""
    path = resources.files(__package__).joinpath("schemas/ocds-release-package.subset.schema.json")
    return json.loads(path.read_text("utf-8"))


def render(data: ExportData, ocid_prefix: str = DEFAULT_OCID_PREFIX) -> dict[str, bytes]:
    if not re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", ocid_prefix):
        raise BidPanelError(
            f"{ocid_prefix!r} is not an ocid prefix: letters, digits and single hyphens, "
            "e.g. ocds-213czf (the prefix the Open Contracting Partnership registered for you)"
        )
    problems = provisional_findings(data)
    if problems:
        raise ExportRefused(
            "OCDS release refused: the results are provisional; nothing was written", problems
        )
    return {f"{data.stem}-ocds-release-package.json": dumps(release_package(data, ocid_prefix))}
