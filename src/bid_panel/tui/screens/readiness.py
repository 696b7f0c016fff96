"""Readiness: who has submitted, who has not; withdraw an evaluator; open moderation.

The moderator's first screen. Moderation opens only when every assigned sheet is submitted
or its evaluator is withdrawn with a recorded reason (the core's `open_refusal`); opening
records who is present and binds the record to the seal of every sheet.
"""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bid_panel.core.errors import BidPanelError
from bid_panel.core.moderation import (
    MemberStatus,
    ModerationSession,
    open_refusal,
    panel_status,
    signature_status,
    withdrawal_problems,
)
from bid_panel.core.panel import short_name
from bid_panel.tui.dialogs.attendance import AttendanceDialog
from bid_panel.tui.dialogs.reason import ReasonDialog
from bid_panel.tui.screens.moderation_help import MODERATION_GUIDE
from bid_panel.tui.text import cell, clipped, plain, say
from bid_panel.tui.widgets.gate_bar import GateBar

MARKS = {"submitted": "✓", "in progress": "…", "not started": "○", "withdrawn": "✗"}


class ReadinessScreen(Screen[None]):
    HELP_GUIDE = MODERATION_GUIDE
    CSS_PATH = "readiness.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_moderation", "Open moderation…"),
        Binding("w", "withdraw", "Withdraw evaluator…"),
        Binding("m", "matrix", "Matrix"),
        Binding("r", "results", "Results"),
        Binding("f5", "reload", "Reload sheets", key_display="F5"),
    ]

    def __init__(self, session: ModerationSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        tender = self.session.tender
        yield Header()
        yield GateBar(id="gate")
        yield Static(plain(f"{tender.reference} · {tender.title}"), id="readiness-title")
        yield DataTable(id="panel-table", cursor_type="row")
        yield Static("", id="readiness-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "Panel"
        table.add_column("", key="mark", width=1)
        table.add_column("Evaluator", key="name")
        table.add_column("Role", key="role")
        table.add_column("Status", key="status")
        table.add_column("Detail", key="detail")
        for member in panel_status(self.session.workspace, self.session.state):
            table.add_row(*self._cells(member), key=member.id)
        table.focus()
        self.refresh_view()

    def _cells(self, member: MemberStatus) -> list[object]:
        return [
            MARKS[member.status],
            cell(short_name(member.name)),
            str(member.role),
            member.status,
            clipped(member.detail),
        ]

    def refresh_view(self) -> None:
        """Update the rows in place, the status line, the gate and the keys."""
        session = self.session
        table = self.query_one(DataTable)
        for member in panel_status(session.workspace, session.state):
            for key, value in zip(
                ("mark", "name", "role", "status", "detail"), self._cells(member), strict=True
            ):
                table.update_cell(member.id, key, value, update_width=key != "detail")
        self.query_one(GateBar).show(session.gate(), signature_status(session.state))
        self.query_one("#readiness-status", Static).update(plain(self._status_text()))
        self.refresh_bindings()

    def _status_text(self) -> str:
        session = self.session
        state = session.state
        if state.opened is not None:
            present = ", ".join(self._member_name(p) for p in state.opened.present)
            return (
                f"Moderation opened {state.opened.at.astimezone(UTC):%d %b %Y %H:%M} UTC, "
                f"bound to the seals of {len(state.opened.sheet_seals)} sheet(s). "
                f"Present: {present}. Press m for the matrix."
            )
        ready = session.readiness()
        if ready.ready:
            withdrawn = (
                f" ({len(ready.withdrawn)} evaluator(s) withdrawn with reasons)"
                if ready.withdrawn
                else ""
            )
            return (
                f"Every assigned sheet is submitted{withdrawn}. Press o to open moderation "
                "and record who is present."
            )
        waiting = ", ".join(self._member_name(e) for e in ready.not_submitted)
        return (
            f"Waiting for: {waiting}. Moderation can start when every assigned sheet is "
            "submitted, or its evaluator is withdrawn with a recorded reason (w). "
            "F5 reloads the sheets."
        )

    def _member_name(self, evaluator_id: str) -> str:
        """A member's name; the id of one recorded earlier but since removed from the panel."""
        member = self.session.workspace.panel.by_id.get(evaluator_id)
        return short_name(member.name) if member is not None else evaluator_id

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.session.state
        if action == "open_moderation":
            if state.opened is not None:
                return False
            return open_refusal(self.session.workspace, state) is None or None
        if action == "withdraw":
            return state.opened is None
        if action == "matrix":
            return state.opened is not None
        return True

    def action_reload(self) -> None:
        try:
            self.session.refresh_sheets()
        except BidPanelError as exc:
            say(self, str(exc), title="Cannot read a sheet", severity="error", timeout=10)
            return
        self.refresh_view()
        say(self, "Score sheets reloaded.")

    def action_withdraw(self) -> None:
        evaluator = self._selected()
        if evaluator is None:
            return
        session = self.session
        member = session.workspace.panel.by_id[evaluator]
        if evaluator in session.state.withdrawn:
            say(self, f"{short_name(member.name)} is already withdrawn.", severity="warning")
            return

        def check(reason: str) -> list[str]:
            return withdrawal_problems(session.workspace, session.state, evaluator, reason)

        def chosen(reason: str | None) -> None:
            if not reason:
                return
            try:
                session.withdraw(evaluator, reason)
            except BidPanelError as exc:
                say(self, str(exc), severity="error", timeout=10)
                return
            say(self, f"{short_name(member.name)} withdrawn; the reason is recorded.")
            self.refresh_view()

        minimum = session.tender.rules.justification_min_length
        self.app.push_screen(
            ReasonDialog(
                f"Withdraw {short_name(member.name)} from the panel?",
                "A withdrawn evaluator's scores take no part in moderation or results. The "
                "withdrawal and its reason are recorded permanently in the moderation record "
                f"(at least {minimum} characters: why, and who decided).",
                "Withdraw",
                check,
            ),
            chosen,
        )

    def action_open_moderation(self) -> None:
        session = self.session
        refusal = open_refusal(session.workspace, session.state)
        if refusal:
            say(self, refusal, severity="warning", timeout=8)
            return
        members = [
            (
                e.id,
                f"{short_name(e.name)} ({e.role})",
                e.id not in session.state.withdrawn,
            )
            for e in session.workspace.panel.evaluators
        ]
        seals = [f"{self._member_name(e)}: sealed {s[:12]}…" for e, s in session.seals().items()]

        def chosen(present: list[str] | None) -> None:
            if not present:
                return
            try:
                session.open(present)
            except BidPanelError as exc:
                say(self, str(exc), severity="error", timeout=10)
                return
            self.refresh_view()
            self.action_matrix()

        self.app.push_screen(
            AttendanceDialog(
                "Open moderation",
                "Opening binds the moderation record to the seal of every submitted sheet, "
                "so any later change to a sheet is detectable. Record who is present at the "
                "meeting; you can adjust attendance for each item.",
                members,
                "Open moderation",
                seals,
            ),
            chosen,
        )

    def action_matrix(self) -> None:
        from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen

        if self.session.state.opened is not None:
            self.app.push_screen(ModerationMatrixScreen(self.session))

    def action_results(self) -> None:
        from bid_panel.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.session.workspace))

    def on_screen_resume(self) -> None:
        self.refresh_view()
