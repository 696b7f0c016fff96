"""The first screen: the tender at a glance, and "who are you?"."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from bid_panel.core.errors import BidPanelError
from bid_panel.core.moderation import ModerationState, moderation_state, panel_status
from bid_panel.core.scoring import display_text, effective_weights
from bid_panel.core.signing import owner_refusal
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.tui.text import cell, plain


class WelcomeScreen(Screen[None]):
    """Tender overview (criteria with weights, bidders) and the panel to pick from."""

    CSS_PATH = "welcome.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_sheet", "Open my sheet", show=True),
    ]

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        tender = workspace.tender
        yield Header()
        with Horizontal(id="welcome-body"):
            with Vertical(id="tender-pane"):
                yield Static(plain(f"{tender.reference} · {tender.title}"), id="tender-title")
                yield Static(
                    plain(f"{tender.authority} · {tender.contract_term_months}-month contract"),
                    id="tender-meta",
                )
                yield DataTable(id="criteria-table", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="bidders-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="panel-pane"):
                yield Static(
                    "Who are you? Pick your name to open your score sheet.", id="panel-prompt"
                )
                yield OptionList(id="panel-list")
                where = "Sample workspace" if self.app.is_sample else "Workspace"  # type: ignore[attr-defined]
                yield Static(plain(f"{where}: {workspace.root}"), id="workspace-path")
        yield Footer()

    def on_mount(self) -> None:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        tender = workspace.tender
        points = effective_weights(tender)
        rounding = tender.rules.rounding
        criteria = self.query_one("#criteria-table", DataTable)
        criteria.border_title = "Criteria"
        criteria.add_columns("Criterion", "Weight", "Points", "How it is scored")
        for criterion in tender.walk():
            depth = len(tender.path(criterion.id)) - 1
            if criterion.kind is CriterionKind.SCORED:
                rule = "scale " + tender.scale_of(criterion).describe()
                if criterion.minimum_score is not None:
                    rule += f", min {score_text(criterion.minimum_score)}"
            elif criterion.kind is CriterionKind.PRICE:
                rule = criterion.formula.text if criterion.formula else ""
            elif criterion.kind is CriterionKind.PASS_FAIL:
                rule = "pass/fail" + (", fail excludes" if criterion.failing_disqualifies else "")
            else:
                rule = "sum of its parts"
            criteria.add_row(
                cell("  " * depth + criterion.title),
                f"{score_text(criterion.weight)}%" if criterion.weight is not None else "-",
                display_text(points[criterion.id], rounding),
                cell(rule),
            )
        bidders = self.query_one("#bidders-table", DataTable)
        bidders.border_title = plain(f"Bidders ({len(workspace.bids)})")
        bidders.add_columns("Bidder", "Type", "Submitted")
        for bid in workspace.bids.values():
            bidders.add_row(
                cell(bid.bidder.name),
                str(bid.bidder.organisation_type),
                bid.submitted_at.strftime("%d %b %Y %H:%M"),
            )
        panel = self.query_one("#panel-list", OptionList)
        panel.border_title = "Panel"
        try:
            record = moderation_state(workspace)  # a withdrawn member shows as withdrawn
        except BidPanelError:
            record = ModerationState()
        for member in panel_status(workspace, record):
            # The core's rule: a sheet whose key is not on this account does not open here.
            evaluator = workspace.panel.by_id[member.id]
            elsewhere = " · key not here" if owner_refusal(evaluator) else ""
            panel.add_option(
                Option(
                    plain(f"{member.name}\n  {member.role} evaluator · {member.status}{elsewhere}"),
                    id=member.id,
                )
            )
        if panel.option_count:
            panel.highlighted = 0
        panel.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.app.start_session(event.option.id)  # type: ignore[attr-defined]

    def action_open_sheet(self) -> None:
        panel = self.query_one("#panel-list", OptionList)
        option = panel.highlighted_option
        if option is not None and option.id:
            self.app.start_session(option.id)  # type: ignore[attr-defined]
