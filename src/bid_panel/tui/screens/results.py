"""Consolidated results: totals, contributions, exclusions, ranking, margin, chart, robustness.

Everything shown is computed by the core from the sheets and the moderation record as they
stand (`bid_panel.core.exports.collect`: the results, their robustness and what each export
needs), once, in a worker while a loading indicator shows; the gate bar says whether the
results are final or provisional, and why. The export dialog and the export itself reuse the
same data, so what is written is what the screen shows.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static
from textual.worker import get_current_worker

from bid_panel.core.errors import BidPanelError
from bid_panel.core.moderation import Gate, gate, signature_status
from bid_panel.core.results import Results
from bid_panel.core.robustness import Robustness, robustness_lines
from bid_panel.core.scoring import display_text
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.core.workspace import Workspace
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.export import ExportDialog, ExportRequest
from bid_panel.tui.screens.moderation_help import MODERATION_GUIDE
from bid_panel.tui.text import clipped, plain, say
from bid_panel.tui.widgets.gate_bar import GateBar
from bid_panel.tui.widgets.stacked_chart import Bar, ChartData, Series, StackedChart

if TYPE_CHECKING:
    from bid_panel.core.exports import ExportData

_ROBUSTNESS_STYLE = {
    "headline": "bold",
    "warning": "bold $warning",
    "winner": "$warning",
    "order": "",
    "steady": "$text-muted",
}
_ROBUSTNESS_PREFIX = {
    "headline": "",
    "warning": "⚠ ",
    "winner": "✗ ",
    "order": "• ",
    "steady": "✓ ",
}


def _unrounded(value: Decimal) -> str:
    """Enough digits to see what rounding hid: six places, and … when there are more."""
    short = value.quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
    return f"{short}…" if short != value else str(value)


class ResultsScreen(Screen[None]):
    HELP_GUIDE = MODERATION_GUIDE
    CSS_PATH = "results.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "back", "Back"),
        Binding("x", "export", "Export…"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.data: ExportData | None = None
        """Everything shown and exported, once the worker has computed it."""
        self.refused: dict[str, list[str]] = {}
        """Export format -> why it would be refused now."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield GateBar(id="gate")
        with VerticalScroll(id="results-body"):
            yield Static("", id="headline")
            yield DataTable(id="ranking", cursor_type="none", zebra_stripes=True)
            yield DataTable(id="contributions", cursor_type="none", zebra_stripes=True)
            yield StackedChart(id="chart")
            yield Static("", id="decisions")
            yield Static("", id="robustness")
        yield ProgressBar(id="export-progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GateBar).update(plain("Computing the results and their robustness…"))
        self.query_one(StackedChart).border_title = "Totals stacked by criterion (points of 100)"
        self.query_one("#decisions").border_title = "Exclusions, notes and tie-breaks"
        robust = self.query_one("#robustness")
        robust.border_title = "Robustness: would the result survive a reasonable doubt?"
        body = self.query_one("#results-body", VerticalScroll)
        body.loading = True
        # The page scrolls as one; tab reaches a table to scroll it sideways when narrow.
        body.focus()
        self._compute()

    @work(thread=True, exclusive=True, group="results")
    def _compute(self) -> None:
        """Results, robustness (every leave-one-out, weight and removal scenario) and the
        export checks, off the UI thread."""
        from bid_panel.core.exports import FORMATS, collect, problems

        try:
            data = collect(self.workspace)
            the_gate = gate(self.workspace, data.state)
            refused: dict[str, list[str]] = {}
            for name in FORMATS:
                found = problems(data, [name])
                if found:
                    refused[name] = [f.message for f in found]
        except BidPanelError as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._failed, str(exc))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, data, the_gate, refused)

    def _failed(self, message: str) -> None:
        if not self.is_attached:  # left (escape) while computing
            return
        self.query_one("#results-body", VerticalScroll).loading = False
        self.query_one(GateBar).update(plain(f"Results cannot be computed: {message}"))
        say(self, message, title="No results", severity="error", timeout=10)

    def _loaded(self, data: ExportData, the_gate: Gate, refused: dict[str, list[str]]) -> None:
        if not self.is_attached:  # left (escape) while computing
            return
        self.data = data
        self.refused = refused
        results = data.results
        self.query_one(GateBar).show(the_gate, signature_status(data.state))
        self.query_one("#headline", Static).update(self._headline(results))
        self._fill_ranking(results)
        self._fill_contributions(results)
        self.query_one(StackedChart).set_data(self._chart(results))
        self.query_one("#decisions", Static).update(self._decisions(results))
        self.query_one("#robustness", Static).update(self._robustness(data.robustness))
        self.query_one("#results-body", VerticalScroll).loading = False
        self.refresh_bindings()

    @property
    def results(self) -> Results:
        assert self.data is not None, "the results are still being computed"
        return self.data.results

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.data is not None or None  # shown, disabled until computed
        return True

    # ------------------------------------------------------------------ content
    def _shown(self, value: Decimal | None) -> str:
        if value is None:
            return "-"
        return display_text(value, self.workspace.tender.rules.rounding)

    def _headline(self, results: Results) -> Content:
        status = "Final results" if results.final else "PROVISIONAL results (not for award)"
        winner = results.winner
        if winner is None:
            lead = "no single leading bid" if results.ranked else "no bid is ranked"
        else:
            margin = results.margin
            lead = f"leading bid {winner.name}" + (
                f", ahead by {self._shown(margin)} points" if margin is not None else ""
            )
        return Content.assemble((status, "bold"), " · ", Content(lead))

    def _fill_ranking(self, results: Results) -> None:
        quality, price = results.quality_available, results.price_available
        table = self.query_one("#ranking", DataTable)
        table.border_title = "Ranking"
        narrow = self._narrow  # 80 columns: no type column, shorter names
        table.add_column("#" if narrow else "Rank", key="rank")
        table.add_column("Bidder", key="bidder", width=16 if narrow else 34)
        if not narrow:
            table.add_column("Type", key="type")
        table.add_column(f"Quality /{self._shown(quality)}", key="quality")
        table.add_column(f"Price /{self._shown(price)}", key="price")
        table.add_column("Overall /100", key="overall")
        table.add_column("Status", key="status")
        for bid in results.bids:
            status = "excluded" if bid.excluded else ("tied" if self._tied(bid.rank) else "")
            kind = [] if narrow else [bid.organisation_type]
            table.add_row(
                str(bid.rank) if bid.rank is not None else "–",
                clipped(bid.name),
                *kind,
                Text(self._shown(bid.quality_total), justify="right"),
                Text("-" if bid.excluded else self._shown(bid.price_total), justify="right"),
                Text("-" if bid.excluded else self._shown(bid.overall), justify="right"),
                status,
                key=bid.bidder,
            )

    @property
    def _narrow(self) -> bool:
        return self.app.size.width < 110

    def _tied(self, rank: int | None) -> bool:
        return rank is not None and sum(b.rank == rank for b in self.results.ranked) > 1

    def _fill_contributions(self, results: Results) -> None:
        """Criteria down, bids across (in rank order): every criterion's contribution."""
        tender = self.workspace.tender
        table = self.query_one("#contributions", DataTable)
        table.border_title = "Contribution of each criterion (points; * provisional)"
        table.add_column("Criterion", key="criterion", width=28 if self._narrow else 42)
        for bid in results.bids:
            # Prefixed: a bidder id may be "criterion" (ids are slugs, never with a colon).
            table.add_column(clipped(bid.name), key=f"b:{bid.bidder}", width=11)
        for leaf in tender.leaves:
            gate_only = leaf.kind is CriterionKind.PASS_FAIL
            head = (
                leaf.title if gate_only else f"{leaf.title} /{self._shown(results.points[leaf.id])}"
            )
            row: list[object] = [clipped(head)]
            for bid in results.bids:
                item = bid.items[leaf.id]
                mark = "*" if item.source == "provisional" else ""
                shown = score_text(item.value) if gate_only else self._shown(item.contribution)
                row.append(Text(shown + mark, justify="right"))
            table.add_row(*row, key=f"c:{leaf.id}")  # a criterion may be called total-price
        totals = (
            ("Quality", lambda b: self._shown(b.quality_total)),
            ("Price", lambda b: "-" if b.excluded else self._shown(b.price_total)),
            ("Overall", lambda b: "-" if b.excluded else self._shown(b.overall)),
        )
        for label, value in totals:
            table.add_row(
                Text(label, style="bold"),
                *[Text(value(b), style="bold", justify="right") for b in results.bids],
                key=f"total-{label.lower()}",
            )

    def _chart(self, results: Results) -> ChartData:
        tender = self.workspace.tender
        leaves = [c for c in tender.leaves if c.kind is not CriterionKind.PASS_FAIL]
        bars = []
        for bid in results.bids:
            values = {
                leaf.id: bid.items[leaf.id].contribution or Decimal(0)
                for leaf in leaves
                if leaf.kind is not CriterionKind.PRICE or not bid.excluded
            }
            if bid.excluded:
                bars.append(Bar(bid.name, values, self._shown(bid.quality_total), "excluded"))
            else:
                rank = f"#{bid.rank}" if bid.rank is not None else ""
                bars.append(Bar(bid.name, values, self._shown(bid.overall), rank))
        return ChartData([Series(c.id, c.title) for c in leaves], bars, Decimal(100))

    def _decisions(self, results: Results) -> Content:
        lines: list[Content] = []
        for bid in results.bids:
            for exclusion in bid.exclusions:
                lines.append(
                    Content.assemble(
                        ("Excluded ", "bold $error"), Content(f"{bid.name}: {exclusion.reason}")
                    )
                )
        for bid in results.bids:
            for note in bid.notes:
                lines.append(Content.assemble(("Note ", "bold"), Content(f"{bid.name}: {note}")))
        for tie in results.tie_breaks:
            lines.append(Content.assemble(("Tie-break ", "bold"), Content(tie)))
        winner = results.winner
        if winner is not None and results.margin is not None:
            runner = results.ranked[1]
            lines.append(
                Content.assemble(
                    ("Winning margin ", "bold"),
                    Content(
                        f"{winner.name} {self._shown(winner.overall)} against "
                        f"{runner.name} {self._shown(runner.overall)}: "
                        f"{self._shown(results.margin)} points "
                        f"(before rounding {_unrounded(results.margin)})"
                    ),
                )
            )
        if not results.final:
            for reason in results.provisional_reasons:
                lines.append(Content.assemble(("Provisional ", "bold $warning"), Content(reason)))
        return Content("\n").join(lines) if lines else plain("No exclusions, notes or ties.")

    def _robustness(self, report: Robustness) -> Content:
        return Content("\n").join(
            Content.assemble((_ROBUSTNESS_PREFIX[kind] + text, _ROBUSTNESS_STYLE[kind]))
            for kind, text in robustness_lines(report)
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    # ------------------------------------------------------------------ export
    def action_export(self) -> None:
        if self.data is None:
            return

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self._run_export(request)

        self.app.push_screen(ExportDialog(self.workspace.root / "exports", self.refused), chosen)

    @work(thread=True, exclusive=True, group="export")
    def _run_export(self, request: ExportRequest) -> None:
        from bid_panel.core.exports import export_data

        data = self.data
        assert data is not None
        bar = self.query_one("#export-progress", ProgressBar)
        self.app.call_from_thread(bar.add_class, "-busy")

        def progress(done: int, total: int, _message: str) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        try:
            # The data the screen shows and the dialog checked: not evaluated a second time.
            written = export_data(data, request.formats, request.out_dir, progress=progress)
        except BidPanelError as exc:
            findings = [str(f) for f in getattr(exc, "findings", [])]
            self.app.call_from_thread(
                self.app.push_screen,
                ConfirmDialog("Export refused", str(exc).splitlines()[0], findings, "Close"),
            )
        else:
            self.app.call_from_thread(
                say, self, f"Wrote {len(written)} file(s) to {request.out_dir}", title="Exported"
            )
        finally:
            self.app.call_from_thread(bar.remove_class, "-busy")
