"""Assessment summaries: one per bidder, never half-done, never naming an evaluator."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bid_panel.core.exports import ExportRefused, export, summaries
from bid_panel.core.exports.data import NOTICE, ExportData, collect
from bid_panel.core.moderation import ModerationRefused, ModerationSession
from bid_panel.core.sample import init_workspace
from bid_panel.core.signing import sample_key, sample_public_key, signer
from bid_panel.core.workspace import load_workspace

from .exports_support import (
    GENERATED_AT,
    STEM,
    panel_identities,
    rename_bidder,
    sample_copy,
    sample_data,
)

BIDDERS = [
    "apex-care-leadership",
    "kinfield-childrens-trust",
    "meridian-childrens-partnerships",
    "northshire-council",
    "three-rivers-partnership",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


@pytest.fixture(scope="module")
def files(data: ExportData) -> dict[str, str]:
    return {name: raw.decode("utf-8") for name, raw in summaries.render(data).items()}


def md(files: dict[str, str], bidder: str) -> str:
    return files[f"{STEM}-summary-{bidder}.md"]


def page(files: dict[str, str], bidder: str) -> str:
    return files[f"{STEM}-summary-{bidder}.html"]


def remoderate(root: Path, item: tuple[str, str], value, reason: str) -> None:
    """Record a new consensus for one item (it supersedes the sample's) and sign the record
    again, as the moderator must before results are final."""
    workspace = load_workspace(root)
    with ModerationSession(workspace, "fiona-marsh") as session:
        session.agree(item, value, reason, session.present_for(item))
        session.sign(signer(sample_key("fiona-marsh")), sample_public_key("fiona-marsh"))


# --------------------------------------------------------------------------- content


def test_one_markdown_and_one_html_summary_per_bidder(files: dict[str, str]) -> None:
    assert sorted(files) == sorted(
        f"{STEM}-summary-{b}.{ext}" for b in BIDDERS for ext in ("md", "html")
    )


def test_every_criterion_and_sub_criterion_with_score_weight_and_explanation(
    files: dict[str, str], data: ExportData
) -> None:
    text = md(files, "kinfield-childrens-trust")
    for criterion in data.tender.walk():
        assert f"| {data.numbers[criterion.id]} " in text or (
            f"| **{data.numbers[criterion.id]}**" in text
        ), criterion.id
    assert (
        "| 1.4.1   | Training curriculum for frontline practitioners | 10 of 10 (Outstanding)"
        in (text)
    )
    assert "60% of Training and development package" in text
    bid = data.bid("kinfield-childrens-trust")
    for leaf in data.tender.leaves:
        reason = bid.items[leaf.id].reason
        if reason:
            assert reason in text  # the moderation reason, as the explanation
    assert "**Overall score**" in text and "82.08 of 100" in text


def test_the_winner_is_told_it_won(files: dict[str, str]) -> None:
    text = md(files, "northshire-council")
    assert "Your tender is the most advantageous tender." in text
    assert "## 5." not in text  # no comparison with itself


def test_an_unsuccessful_bidder_gets_its_rank_and_the_winners_scores(
    files: dict[str, str],
) -> None:
    text = md(files, "kinfield-childrens-trust")
    assert "**Your tender was not successful.** It ranked 2nd of the 3 tenders ranked" in text
    assert "## 5. The most advantageous tender" in text
    assert "from Northshire County Council" in text
    assert "83.22 of 100" in text


def test_an_excluded_bidder_gets_the_gate_or_threshold_that_excluded_it(
    files: dict[str, str],
) -> None:
    apex = md(files, "apex-care-leadership")
    assert "- Safeguarding compliance: failed (pass/fail gate)" in apex
    three_rivers = md(files, "three-rivers-partnership")
    assert "consensus score 1 is below the published minimum of 2" in three_rivers
    assert "not ranked (excluded)" in three_rivers


def test_winner_scores_only_when_the_tender_says_so(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    data = collect(load_workspace(root), GENERATED_AT)
    rules = data.tender.rules.model_copy(update={"share_winner_scores": False})
    data.workspace.tender = data.tender.model_copy(update={"rules": rules})
    text = summaries.render(data)[f"{STEM}-summary-kinfield-childrens-trust.md"].decode()
    assert "most advantageous tender" in text
    assert "Northshire" not in text and "83.22" not in text


def test_no_evaluator_name_id_or_individual_score_in_any_summary(
    files: dict[str, str], data: ExportData
) -> None:
    identities = panel_identities(data.workspace)
    for name, text in files.items():
        lowered = text.lower()
        for identity in identities:
            assert identity.lower() not in lowered, (name, identity)
        assert not summaries.INDIVIDUAL_SCORES.search(text), name
        for word in ("evaluator's score", "individual score", "recused"):
            assert word not in lowered.replace("no individual evaluator's name or score", "")


def test_html_is_self_contained_print_ready_and_escapes_user_text(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    hostile = 'Kinfield <script>alert("x")</script> & *Sons* | [link](http://x)'
    workspace = rename_bidder(root, "kinfield-childrens-trust", hostile)
    out = summaries.render(collect(workspace, GENERATED_AT))
    text = out[f"{STEM}-summary-kinfield-childrens-trust.html"].decode()
    assert "<script" not in text
    assert html.escape(hostile, quote=True) in text
    assert not re.search(r"(src|href)\s*=", text)
    assert "@import" not in text and "url(" not in text
    assert "<style>" in text and "@page" in text
    parser = _Tags()
    parser.feed(text)
    assert parser.tags >= {"html", "head", "body", "table", "h1", "h2"}
    assert not parser.tags & {"script", "link", "img", "iframe", "object"}
    markdown = out[f"{STEM}-summary-kinfield-childrens-trust.md"].decode()
    assert r"Kinfield \<script\>alert" in markdown and r"\*Sons\* \| \[link\]" in markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs) -> None:
        self.tags.add(tag)


def test_every_summary_carries_the_notice(files: dict[str, str]) -> None:
    for name, text in files.items():
        assert NOTICE in html.unescape(text).replace("\n> ", " "), name


# --------------------------------------------------------------------------- refusals


RESTATING = (
    "The response exceeds the requirement with compelling evidence of outcomes achieved "
    "elsewhere and added value for the council's children and families."
)


def test_refused_when_an_explanation_merely_restates_the_criterion(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, fixed_clock
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    item = ("meridian-childrens-partnerships", "change-management")
    # Moderation refuses such a reason when it is recorded ...
    with pytest.raises(ModerationRefused, match="merely restates the criterion"):
        remoderate(root, item, Decimal(5), RESTATING)
    # ... and the summaries refuse one all the same (a record kept by an older version).
    data = collect(load_workspace(root), GENERATED_AT)
    assert data.results.final
    data.bid(item[0]).items[item[1]].reason = RESTATING
    with pytest.raises(ExportRefused) as caught:
        summaries.render(data)
    (finding,) = caught.value.findings
    assert "Meridian Children's Partnerships Ltd / 1.2 Change-management experience" in (
        finding.message
    )
    assert "restates the criterion" in finding.message
    assert finding.hint


def test_refused_when_an_explanation_is_missing_or_too_short(data: ExportData) -> None:
    item = data.bid("northshire-council").items["transition-exit"]
    other = data.bid("apex-care-leadership").items["dcs-track-record"]
    saved = item.reason, other.reason
    try:
        item.reason = ""
        other.reason = "Good plan."
        with pytest.raises(ExportRefused) as caught:
            summaries.render(data)
    finally:
        item.reason, other.reason = saved
    messages = sorted(f.message for f in caught.value.findings)
    assert len(messages) == 2
    assert "Apex Care Leadership Ltd / 1.1 DCS track record" in messages[0]
    assert "10 characters long; the tender's minimum is 60" in messages[0]
    assert "Northshire County Council / 1.5 Transition and exit planning" in messages[1]
    assert "no explanation" in messages[1]


def test_refused_when_an_explanation_names_a_panel_member_or_gives_individual_scores(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, fixed_clock
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    remoderate(
        root,
        ("northshire-council", "change-management"),
        Decimal(4),
        "The three-phase programme with targets of 80% audited cases good by month 18 was "
        "accepted; Ben Hartley noted the Rowanbridge partnership as the second example.",
    )
    remoderate(
        root,
        ("kinfield-childrens-trust", "change-management"),
        Decimal(3),
        "The Family Circles model and the 100-day practice review are concrete; scores were "
        "2, 3 and 4 before the discussion of the Edgemoor conferences example.",
    )
    with pytest.raises(ExportRefused) as caught:
        summaries.render(collect(load_workspace(root), GENERATED_AT))
    messages = sorted(f.message for f in caught.value.findings)
    assert len(messages) == 2
    assert "individual evaluators' scores" in messages[0]
    assert "names a panel member (Ben Hartley)" in messages[1]


def test_refused_while_results_are_provisional(tmp_path: Path) -> None:
    workspace = load_workspace(init_workspace(tmp_path / "ws"))
    with pytest.raises(ExportRefused) as caught:
        summaries.render(collect(workspace, GENERATED_AT))
    assert "provisional" in str(caught.value)


def test_a_refusal_writes_nothing_at_all(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, fixed_clock
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    remoderate(
        root,
        ("apex-care-leadership", "workforce-stability"),
        Decimal(2),
        "The retention figures and the agency reduction plan were accepted as credible; "
        "Ben Hartley noted the gaps in the exit interview data.",
    )
    out = tmp_path / "out"
    with pytest.raises(ExportRefused):
        export(load_workspace(root), ["csv", "md", "summaries"], out, GENERATED_AT)
    assert not out.exists()


def test_a_name_with_line_breaks_cannot_inject_markdown_structure(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    workspace = rename_bidder(root, "kinfield-childrens-trust", "Kinfield\n# Injected\n- item")
    out = summaries.render(collect(workspace, GENERATED_AT))
    for name, raw in out.items():
        if name.endswith(".md"):
            text = raw.decode("utf-8")
            assert "\n# Injected" not in text and "\n- item" not in text, name
    markdown = out[f"{STEM}-summary-kinfield-childrens-trust.md"].decode("utf-8")
    assert markdown.startswith("# Assessment summary: Kinfield # Injected - item\n")
