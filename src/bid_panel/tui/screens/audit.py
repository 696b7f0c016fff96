"""The auditor's view: read-only, nothing here can change a record.

Four tabs over one verification report (`bid_panel.core.verify`) and the audit model
(`bid_panel.core.audit`):

1. Integrity: every file's chain, seal and signature at a glance, and every finding; `enter`
   on a finding jumps to the event in its timeline.
2. Timelines: per person, every event of their record in order, with the full text.
3. Trail: per bid and criterion, from each individual score and justification to the
   moderated score and reason, to the weighted contribution and the total.
4. Calibration: each evaluator's average difference from the moderated scores, and the
   spread of the individual scores per criterion.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from bid_panel.core.audit import (
    BidTrail,
    Calibration,
    Timeline,
    TrailItem,
    Trails,
    calibration,
    quantize,
    timelines,
    trails,
)
from bid_panel.core.errors import BidPanelError, Severity
from bid_panel.core.panel import short_name
from bid_panel.core.scoring import display_text
from bid_panel.core.tender import score_text
from bid_panel.core.verify import VerifyReport, verify_workspace
from bid_panel.tui.text import cell, clipped, plain, say

TABS = ("integrity", "timelines", "trail", "calibration")


AuditModel = tuple[list[Timeline], Trails, Calibration]


def audit_model(report: VerifyReport) -> AuditModel:
    """What the tabs show, worked out from a report (seconds on a large tender)."""
    return timelines(report), trails(report.loaded), calibration(report.loaded)


def _first_name(name: str) -> str:
    return short_name(name).split(" ")[0]


def _right(text: str) -> Text:
    return Text(text, justify="right", end="")


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


AUDIT_GUIDE = """
## How to read this view

Nothing here can be changed: the auditor's view only reads the workspace's files.

- **Integrity** (`1`): every record's hash chain, seal, signature and binding, checked now by
  the same code as `bid-panel verify`. `enter` on a finding jumps to the event concerned.
- **Timelines** (`2`): every event of each person's record, in the order they were written.
- **Trail** (`3`): for each bid and criterion, each evaluator's score and justification, the
  moderated score and its reason, its weighted contribution and the bid's total.
- **Calibration** (`4`): each evaluator's average difference from the moderated scores, and
  the spread of scores per criterion.

`r` verifies again (after files were restored, for instance). Keep `bid-panel audit-pack`
archives: the hash manifest in them is what proves later that nothing was cut off the end of
a record.
"""


class AuditScreen(Screen[None]):
    """Read-only: every widget shows; nothing edits."""

    HELP_GUIDE = AUDIT_GUIDE
    CSS_PATH = "audit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_tab('integrity')", "Integrity"),
        Binding("2", "show_tab('timelines')", "Timelines"),
        Binding("3", "show_tab('trail')", "Trail"),
        Binding("4", "show_tab('calibration')", "Calibration"),
        Binding("r", "reverify", "Verify again"),
    ]

    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report
        self._load(report)

    def _load(self, report: VerifyReport, model: AuditModel | None = None) -> None:
        self.report = report
        self._timeline_index = -1
        self._bid_index = -1
        self.timelines, self.trails, self.calibration = model or audit_model(report)
        self.names = {e.id: e.name for e in report.loaded.panel.evaluators}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="audit-verdict")
        with TabbedContent(id="audit-tabs", initial="integrity"):
            with TabPane("1 Integrity", id="integrity"):
                yield DataTable(id="files", cursor_type="row", zebra_stripes=True)
                yield Static("", id="audit-notes", classes="muted")
                yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="finding-detail-scroll"):
                    yield Static("", id="finding-detail")
            with TabPane("2 Timelines", id="timelines"):
                yield OptionList(id="people", classes="audit-picker")
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="event-detail-scroll", classes="audit-detail"):
                    yield Static("", id="event-detail")
            with TabPane("3 Trail", id="trail"):
                yield OptionList(id="bids", classes="audit-picker")
                yield DataTable(id="trail-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="trail-detail-scroll", classes="audit-detail"):
                    yield Static("", id="trail-detail")
            with TabPane("4 Calibration", id="calibration"), VerticalScroll(id="calibration-body"):
                yield Static("", id="calibration-intro", classes="muted")
                yield DataTable(id="calibration-evaluators", cursor_type="row")
                yield Static("", id="calibration-spread-intro", classes="muted")
                yield DataTable(id="calibration-criteria", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        loaded = self.report.loaded
        self.title = "bid_panel · auditor's view (read-only)"
        self.sub_title = f"{loaded.tender.reference} · {loaded.root.name}"
        self.query_one("#files").border_title = "Files"
        self.query_one("#findings").border_title = "Findings (enter: go to the event)"
        self.query_one("#finding-detail-scroll").border_title = "Finding"
        self.query_one("#people").border_title = "Records"
        self.query_one("#timeline").border_title = "Events, in file order"
        self.query_one("#event-detail-scroll").border_title = "Event"
        self.query_one("#bids").border_title = "Bids, by rank"
        self.query_one("#trail-table").border_title = "Score trail"
        self.query_one("#trail-detail-scroll").border_title = "From scores to contribution"
        self.query_one("#calibration-evaluators").border_title = "Evaluators"
        self.query_one("#calibration-criteria").border_title = "Spread per criterion"
        self._fill()
        self.query_one("#findings" if self.report.findings else "#files", DataTable).focus()

    def _fill(self) -> None:
        self._fill_verdict()
        self._fill_integrity()
        self._fill_people()
        self._fill_bids()
        self._fill_calibration()

    # ------------------------------------------------------------------ integrity
    def _fill_verdict(self) -> None:
        report = self.report
        files = len(report.files)
        verdict = self.query_one("#audit-verdict", Static)
        if report.ok and not report.warnings:
            text = f"✔ VERIFIED: every check holds ({files} files)."
            verdict.set_classes("verified")
        elif report.ok:
            text = (
                f"✔ VERIFIED with {len(report.warnings)} warning(s): no integrity error "
                f"({files} files)."
            )
            verdict.set_classes("warned")
        else:
            text = (
                f"✘ FAILED: {len(report.errors)} error(s), {len(report.warnings)} warning(s). "
                "The record cannot be relied on as it stands."
            )
            verdict.set_classes("failed")
        status = "FINAL" if self.trails.final else "PROVISIONAL"
        check = report.results_check["summary"]
        verdict.update(plain(f"{text}\nResults: {status} · {check}."))

    def _fill_integrity(self) -> None:
        table = self.query_one("#files", DataTable)
        table.clear(columns=True)
        table.add_columns("File", "Kind", "Owner", "Events", "Chain", "Seal", "Signature", "Status")
        for f in self.report.files:
            style = {"OK": "green", "WARN": "yellow", "FAILED": "bold red"}[f.status]
            table.add_row(
                cell(f.file),
                f.kind,
                cell(f.owner),
                str(f.events),
                f.chain,
                f.seal,
                f.signature,
                Text(f.status, style=style),
                key=f.file,
            )
        notes = self.report.notes
        self.query_one("#audit-notes", Static).update(
            plain("\n".join(f"Note: {n}" for n in notes)) if notes else ""
        )
        findings = self.query_one("#findings", DataTable)
        findings.clear(columns=True)
        findings.add_columns("", "File", "Event", "Line", "Check", "What is wrong")
        for index, f in enumerate(self.report.findings):
            mark = Text("✘", style="bold red") if f.severity is Severity.ERROR else Text("!")
            findings.add_row(
                mark,
                cell(f.file),
                "-" if f.seq is None else str(f.seq),
                str(f.line or "-"),
                f.code,
                cell(_one_line(f.message, 120)),
                key=str(index),
            )
        if not self.report.findings:
            self.query_one("#finding-detail", Static).update(
                plain("No findings: every chain, seal, signature and check holds.")
            )
        else:
            self._show_finding(0)

    def _show_finding(self, index: int) -> None:
        f = self.report.findings[index]
        where = f"{f.file}" + (f", line {f.line}" if f.line else "")
        event = f", event {f.seq}" if f.seq is not None else ""
        self.query_one("#finding-detail", Static).update(
            plain(
                f"{str(f.severity).upper()} [{f.code}] {where}{event}\n"
                f"What is wrong: {f.message}\n"
                f"What it means: {f.meaning}"
            )
        )

    @on(DataTable.RowHighlighted, "#findings")
    def _finding_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and self.report.findings:
            self._show_finding(int(event.row_key.value))

    @on(DataTable.RowSelected, "#findings")
    def _finding_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return
        finding = self.report.findings[int(event.row_key.value)]
        for index, timeline in enumerate(self.timelines):
            if timeline.file == finding.file:
                self.action_show_tab("timelines")
                self.query_one("#people", OptionList).highlighted = index
                self._show_timeline(index, focus_seq=finding.seq)
                return
        say(self, "This finding is not about an event of a record.", severity="information")

    # ------------------------------------------------------------------ timelines
    def _fill_people(self) -> None:
        people = self.query_one("#people", OptionList)
        people.clear_options()
        for timeline in self.timelines:
            flagged = sum(1 for e in timeline.events if e.findings)
            label = Text(f"{short_name(timeline.name)} · {timeline.role} · ", end="")
            label.append(f"{timeline.file} · {len(timeline.events)} events", style="dim")
            if flagged:
                label.append(f" · {flagged} flagged", style="bold red")
            people.add_option(Option(label, id=timeline.file))
        if self.timelines:
            people.highlighted = 0
            self._show_timeline(0)

    @on(OptionList.OptionHighlighted, "#people")
    def _person_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Setting `highlighted` from code posts this too: the timeline is already shown.
        if event.option_index is not None and event.option_index != self._timeline_index:
            self._show_timeline(event.option_index)

    def _show_timeline(self, index: int, focus_seq: int | None = None) -> None:
        self._timeline_index = index
        timeline = self.timelines[index]
        table = self.query_one("#timeline", DataTable)
        table.clear(columns=True)
        for label, width in (
            ("Seq", 5),
            ("Time (UTC)", 12),
            ("Event", 12),
            ("Bidder", 18),
            ("Criterion", 18),
            ("Value", 11),
            ("Text", 60),
        ):
            table.add_column(label, width=width)
        target = 0
        for row, e in enumerate(timeline.events):
            seq = Text(str(e.seq), style="bold red" if e.findings else "")
            if e.findings:
                seq.append(" ✘", style="bold red")
            table.add_row(
                seq,
                e.at.strftime("%d %b %H:%M"),
                clipped(e.kind),
                clipped(e.bidder),
                clipped(e.criterion),
                clipped(e.value),
                clipped(_one_line(e.text, 80)),
                key=str(row),
            )
            if focus_seq is not None and e.seq == focus_seq:
                target = row
        table.border_title = plain(f"{timeline.name}: {timeline.file}")
        if timeline.events:
            table.move_cursor(row=target)
            self._show_event(target)
        else:
            self.query_one("#event-detail", Static).update(plain("No events yet."))
        if focus_seq is not None:
            table.focus()

    def _show_event(self, row: int) -> None:
        timeline = self.timelines[self._timeline_index]
        e = timeline.events[row]
        head = f"Event {e.seq} · {e.kind} · {e.at.isoformat()}"
        subject = " / ".join(p for p in (e.bidder, e.criterion) if p)
        lines = [head + (f" · {subject}" if subject else "")]
        if e.value:
            lines.append(f"Value: {e.value}")
        for f in self.report.findings:
            if f.file == timeline.file and f.seq == e.seq:
                lines.append(f"✘ [{f.code}] {f.message}")
        if e.text:
            lines += ["", e.text]
        self.query_one("#event-detail", Static).update(plain("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#timeline")
    def _event_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_event(int(event.row_key.value))

    # ------------------------------------------------------------------ trail
    def _fill_bids(self) -> None:
        bids = self.query_one("#bids", OptionList)
        bids.clear_options()
        rounding = self.report.loaded.tender.rules.rounding
        for trail in self.trails.bids:
            rank = f"{trail.rank}." if trail.rank is not None else "excl."
            total = "-" if trail.overall is None else display_text(trail.overall, rounding)
            label = Text(f"{rank} {trail.name} · ", end="")
            label.append(f"{trail.status} · total {total}", style="dim")
            bids.add_option(Option(label, id=trail.bidder))
        if self.trails.bids:
            bids.highlighted = 0
            self._show_trail(0)

    @on(OptionList.OptionHighlighted, "#bids")
    def _bid_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None and event.option_index != self._bid_index:
            self._show_trail(event.option_index)

    def _show_trail(self, index: int) -> None:
        self._bid_index = index
        trail: BidTrail = self.trails.bids[index]
        rounding = self.report.loaded.tender.rules.rounding

        def shown(value: Decimal | None) -> str:
            return "-" if value is None else display_text(value, rounding)

        table = self.query_one("#trail-table", DataTable)
        table.clear(columns=True)
        for label, width in (
            ("Criterion", 30),
            ("Individual scores", 30),
            ("Spread", 6),
            ("Moderated", 9),
            ("Source", 11),
            ("Points", 6),
            ("Earned", 7),
        ):
            table.add_column(label, width=width)
        for row, item in enumerate(trail.items):
            scores = " · ".join(
                f"{_first_name(self.names.get(s.evaluator, s.evaluator))} {s.value}"
                for s in item.individual
            )
            if item.recused:
                scores += " · recused: " + ", ".join(
                    _first_name(self.names.get(e, e)) for e in item.recused
                )
            spread = score_text(item.spread)
            if item.flagged:
                spread = "⚑ " + spread
            table.add_row(
                clipped(item.title),
                clipped(scores or "-"),
                _right(spread),
                clipped(item.consensus_value or "-"),
                item.source,
                _right(shown(item.points) if item.kind != "pass_fail" else "gate"),
                _right(shown(item.contribution)),
                key=str(row),
            )
        table.add_row(
            Text("Total", style="bold"),
            f"quality {shown(trail.quality_total)} + price {shown(trail.price_total)}",
            "",
            "",
            "",
            _right("100"),
            Text(shown(trail.overall), style="bold", justify="right"),
            key="total",
        )
        title = f"{trail.name} ({trail.organisation_type})"
        if trail.rank is not None:
            title += f" · rank {trail.rank}"
        table.border_title = plain(title)
        table.move_cursor(row=0)
        self._show_trail_item(0)

    def _show_trail_item(self, row: int) -> None:
        trail = self.trails.bids[self._bid_index]
        detail = self.query_one("#trail-detail", Static)
        rounding = self.report.loaded.tender.rules.rounding
        if row >= len(trail.items):
            lines = [f"{trail.name}: {trail.status}"]
            if trail.overall is not None:
                lines.append(
                    f"Quality {display_text(trail.quality_total or Decimal(0), rounding)} + "
                    f"price {display_text(trail.price_total or Decimal(0), rounding)} = "
                    f"{display_text(trail.overall, rounding)} points of 100 (exact: "
                    f"{trail.overall})"
                )
            lines += [f"Excluded: {reason}" for reason in trail.exclusions]
            if not self.trails.final:
                lines.append("Results are PROVISIONAL:")
                lines += [f"  - {r}" for r in self.trails.provisional_reasons]
            if self.trails.error:
                lines.append(f"Results could not be computed: {self.trails.error}")
            detail.update(plain("\n".join(lines)))
            return
        item: TrailItem = trail.items[row]
        lines = [f"{item.path + ' › ' if item.path else ''}{item.title} [{item.kind}]", ""]
        if not item.individual:
            lines.append("No individual scores.")
        for s in item.individual:
            name = self.names.get(s.evaluator, s.evaluator)
            changed = f", changed {s.revisions - 1} time(s)" if s.revisions > 1 else ""
            lines.append(f"{name}: {s.value} (event {s.seq}{changed})")
            lines.append(f"    {s.justification}")
        for e in item.recused:
            lines.append(f"{self.names.get(e, e)}: recused (declared a conflict)")
        lines.append("")
        if item.consensus_value:
            basis = "discussed" if item.consensus_basis == "discussed" else "accepted as agreed"
            replaced = (
                f", replacing {item.superseded} earlier entry(ies)" if item.superseded else ""
            )
            lines.append(
                f"Moderated: {item.consensus_value} ({basis}, moderation event "
                f"{item.consensus_seq}{replaced})"
            )
            lines.append(f"    Reason: {item.consensus_reason}")
        elif item.kind == "price":
            lines.append("Price is not moderated: points come from the published formula.")
        else:
            lines.append("Not moderated.")
        if item.points is not None:
            outcome = f"Outcome: {item.outcome} ({item.source})"
            if item.kind == "scored" and item.contribution is not None:
                outcome += (
                    f" → {display_text(item.contribution, rounding)} of "
                    f"{display_text(item.points, rounding)} points (exact {item.contribution})"
                )
            elif item.kind == "price" and item.contribution is not None:
                outcome += f" → price formula: {display_text(item.contribution, rounding)} points"
            lines.append(outcome)
        detail.update(plain("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#trail-table")
    def _trail_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is None:
            return
        trail = self.trails.bids[self._bid_index]
        self._show_trail_item(len(trail.items) if key == "total" else int(key))

    # ------------------------------------------------------------------ calibration
    def _fill_calibration(self) -> None:
        cal = self.calibration
        self.query_one("#calibration-intro", Static).update(
            plain(
                "Each quality evaluator's individual scores against the moderated scores, on "
                f"the {cal.moderated_items} moderated item(s) of scored criteria. Differences "
                "are individual minus moderated, in % of the criterion's scale range: "
                "positive means more generous than the panel's consensus. An auditor's "
                "statistic, not a judgement of anyone's scoring."
            )
        )
        table = self.query_one("#calibration-evaluators", DataTable)
        table.clear(columns=True)
        table.add_columns(
            "Evaluator",
            "Items",
            "Mean difference %",
            "Mean |difference| %",
            "Above",
            "Same",
            "Below",
        )
        for e in cal.evaluators:
            table.add_row(
                cell(short_name(e.name)),
                _right(str(e.items)),
                _right(quantize(e.mean_difference)),
                _right(quantize(e.mean_absolute)),
                _right(str(e.above)),
                _right(str(e.same)),
                _right(str(e.below)),
                key=e.evaluator,
            )
        threshold = self.report.loaded.tender.rules.spread_threshold_percent
        self.query_one("#calibration-spread-intro", Static).update(
            plain(
                "Spread = highest minus lowest individual score of a bid on a criterion, in "
                f"scale points; flagged = at or above {threshold}% of the scale range "
                "(discussed first at moderation)."
            )
        )
        spread = self.query_one("#calibration-criteria", DataTable)
        spread.clear(columns=True)
        spread.add_columns("Criterion", "Scale", "Bids", "Mean spread", "Max spread", "Flagged")
        for c in cal.criteria:
            spread.add_row(
                cell(c.title),
                cell(c.scale),
                _right(str(c.bids)),
                _right(quantize(c.mean_spread)),
                _right(score_text(c.max_spread)),
                _right(str(c.flagged)),
                key=c.criterion,
            )

    # ------------------------------------------------------------------ actions
    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {
            "integrity": "#findings" if self.report.findings else "#files",
            "timelines": "#timeline",
            "trail": "#trail-table",
            "calibration": "#calibration-evaluators",
        }[tab]
        self.query_one(focus).focus()

    def action_reverify(self) -> None:
        """Read the files again (they may have changed since the view opened): in a thread,
        so that a large tender's verification (seconds) leaves the screen responsive."""
        say(self, "Verifying again from the files on disk…", title="Verify", timeout=2)
        self._reverify(self.report.root)

    @work(thread=True, exclusive=True, group="reverify")
    def _reverify(self, root: Path) -> None:
        try:
            report = verify_workspace(root)
        except BidPanelError as exc:
            self.app.call_from_thread(
                say, self, str(exc), title="Cannot verify", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self._reverified, report, audit_model(report))

    def _reverified(self, report: VerifyReport, model: AuditModel) -> None:
        self._load(report, model)
        self._fill()
        say(self, "Verified again from the files on disk.", title="Verify")


def audit_app(root: Path):  # -> BidPanelApp (imported late: no import cycle)
    """The app in audit mode: verifies first (unusable input fails before anything is drawn),
    then opens the auditor's view over the lenient load, so a tampered workspace opens too."""
    from bid_panel.tui import app as app_module

    report = verify_workspace(root)

    class AuditApp(app_module.BidPanelApp):
        # The app's shared stylesheet, found next to app.py (not next to this file).
        CSS_PATH: ClassVar = [Path(app_module.__file__).parent / "app.tcss"]

        def on_mount(self, event: events.Mount) -> None:
            event.prevent_default()  # not the scoring app's welcome screen
            self.push_screen(AuditScreen(report))

    return AuditApp(report.loaded.workspace())
