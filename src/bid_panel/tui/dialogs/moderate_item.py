"""Dialog: moderate one item (a bid on one criterion).

The individual scores and justifications side by side; the consensus picked from the scale's
allowed values only (never typed, so never an average); a required reason; who was present;
and the item's history when it was moderated before. Returns a `ConsensusDraft`, or None
when cancelled; the screen records it through `ModerationSession.agree`. Whether the draft
may be recorded is the core's answer (`ModerationSession.problems`), shown as it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, SelectionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from bid_panel.core.moderation import (
    Consensus,
    ModerationSession,
    conflicted,
    item_state,
    value_text,
)
from bid_panel.core.panel import short_name
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.keys import KEY_NAMES, TYPING_KEYS
from bid_panel.tui.text import plain, say
from bid_panel.tui.widgets.scale_picker import (
    ValueTyping,
    pending_hint,
    typed_text,
)

CHECK_DELAY = 0.25
"""Seconds of no typing in the reason before the core checks the draft again (the check
re-reads every sheet); a value or attendance change, and ctrl+s, check at once."""


@dataclass(frozen=True)
class ConsensusDraft:
    value: Decimal | str
    reason: str
    present: list[str]


class ModerateItemDialog(ModalScreen[ConsensusDraft | None]):
    CSS_PATH: ClassVar = ["dialogs.tcss", "moderate_item.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "record", "Record consensus"),
        Binding("escape", "cancel", "Cancel / leave text"),
        *[
            Binding(
                KEY_NAMES.get(c, c),
                f"pick_key('{c}')",
                "Consensus",
                show=c == "0",
                key_display="0-9",
            )
            for c in TYPING_KEYS
        ],
    ]

    def __init__(self, session: ModerationSession, item: Item) -> None:
        super().__init__()
        self.session = session
        self.item = item
        self.criterion = session.tender.by_id[item[1]]
        self.scores = session.items()[item]
        self.current: Consensus | None = session.state.current.get(item)
        self.values = session.allowed_values(item)
        # Re-moderating starts from the recorded value; a first consensus starts from none,
        # so the dialog never suggests a value (least of all a middle one).
        self.value: Decimal | str | None = self.current.value if self.current else None
        self.attempted = False
        self.recorded = False
        # The scoring screen's way of typing a value: 10 on 0-10, 2.5, 1 = pass, 0 = fail.
        self._typing = ValueTyping(
            self, lambda value, _item: self._pick(value), self._refused, self._pending
        )
        self._typing.reset(self.values, item)
        self._check_timer: Timer | None = None
        self._hint = "type a score" if self.criterion.kind is CriterionKind.SCORED else "1 or 0"

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        session = self.session
        bid = session.workspace.bids[self.item[0]]
        panel = session.workspace.panel.by_id
        with Vertical(id="moderate-dialog"):
            yield Static(plain(f"{bid.bidder.name} — {self.criterion.title}"), id="moderate-title")
            yield Static(self._meta(), id="moderate-meta")
            with Horizontal(id="individual"):
                for evaluator in self.scores.assigned:
                    entry = self.scores.scores.get(evaluator)
                    column = VerticalScroll(classes="individual")
                    column.border_title = plain(short_name(panel[evaluator].name))
                    with column:
                        if entry is None or entry.value is None:
                            yield Static("No score.", classes="muted")
                        else:
                            yield Static(
                                Content.assemble(
                                    (
                                        value_text(session.tender, self.criterion, entry.value),
                                        "bold",
                                    ),
                                    "\n",
                                    Content(entry.justification.strip()),
                                )
                            )
            with Horizontal(id="decision"):
                with Vertical(id="values-pane"):
                    yield OptionList(id="consensus-values")
                    yield Static("", id="value-descriptor")
                with Vertical(id="reason-pane"):
                    yield TextArea(id="consensus-reason", soft_wrap=True)
                yield SelectionList[str](*self._members(), id="consensus-present")
            history = session.history(self.item)
            if history:
                with VerticalScroll(id="history"):
                    for entry in history:
                        yield Static(self._history_line(entry, entry is history[-1]))
            yield Static("", id="moderate-problems")
        yield Footer()

    def _meta(self) -> Content:
        tender = self.session.tender
        parts = []
        if self.criterion.kind is CriterionKind.SCORED:
            parts.append(f"{tender.scale_of(self.criterion).name} scale")
        elif self.criterion.kind is CriterionKind.PRICE:
            parts.append("price check: compliant or not")
        else:
            parts.append("pass/fail gate")
        spread = self.scores.spread
        state = item_state(self.scores, self.current)
        if self.scores.flagged:
            threshold = score_text(tender.rules.spread_threshold_percent)
            parts.append(
                f"⚑ flagged: spread {score_text(spread)} (threshold {threshold}% of the scale)"
                if spread is not None
                else "⚑ flagged: evaluators disagree on the gate"
            )
        elif spread is not None:
            parts.append(f"spread {score_text(spread)}")
        parts.append(str(state))
        away = sorted(conflicted(self.session.workspace, self.item[0]))
        if away:
            panel = self.session.workspace.panel.by_id
            names = ", ".join(short_name(panel[e].name) if e in panel else e for e in away)
            parts.append(f"declared a conflict with this bidder, took no part: {names}")
        return plain(" · ".join(parts))

    def _members(self) -> list[Selection[str]]:
        workspace = self.session.workspace
        present = set(self.session.present_for(self.item))
        away = conflicted(workspace, self.item[0])
        out = []
        for member in workspace.panel.evaluators:
            label = short_name(member.name) + (
                " (conflict)" if member.id in away else f" ({member.role})"
            )
            out.append(Selection(plain(label), member.id, member.id in present))
        return out

    def _history_line(self, entry: Consensus, latest: bool) -> Content:
        names = ", ".join(
            short_name(self.session.workspace.panel.by_id[p].name)
            for p in entry.present
            if p in self.session.workspace.panel.by_id
        )
        basis = "accepted as agreed" if entry.basis == "accepted_agreement" else "discussed"
        head = (
            f"#{entry.seq} · {entry.at.astimezone(UTC):%d %b %Y %H:%M} UTC · "
            f"{value_text(self.session.tender, self.criterion, entry.value)} · {basis} · "
            f"present: {names}" + (" · current" if latest else " · superseded")
        )
        return Content.assemble((head, "bold" if latest else "dim"), "\n", Content(entry.reason))

    def on_mount(self) -> None:
        values = self.query_one("#consensus-values", OptionList)
        values.border_title = "Consensus"
        values.border_subtitle = self._hint
        self.query_one("#consensus-reason", TextArea).border_title = (
            f"Reason (at least {self.session.tender.rules.justification_min_length} characters; "
            "refer to the tender)"
        )
        self.query_one("#consensus-present", SelectionList).border_title = "Present"
        if self.session.history(self.item):
            self.query_one("#history").border_title = "History of this item"
        self._fill_values()
        values.focus()
        self._check()

    def _fill_values(self) -> None:
        values = self.query_one("#consensus-values", OptionList)
        given: dict[Decimal | str, list[str]] = {}
        panel = self.session.workspace.panel.by_id
        for evaluator, entry in self.scores.scores.items():
            if entry.value is not None:
                given.setdefault(entry.value, []).append(short_name(panel[evaluator].name))
        highlighted = values.highlighted
        options = []
        for value in self.values:
            chosen = value == self.value
            who = given.get(value, [])
            text = value_text(self.session.tender, self.criterion, value)
            if isinstance(value, str):
                text = f"{typed_text(value)} {text}"  # the key that picks a verdict
            options.append(
                Option(
                    Content.assemble(
                        ("● " if chosen else "  ", "bold $accent"),
                        (text, "bold $accent" if chosen else "bold"),
                        (f"  ◆{len(who)}" if who else "", "$text-muted"),
                    )
                )
            )
        values.clear_options()
        values.add_options(options)
        if highlighted is not None:
            values.highlighted = highlighted
        elif self.value in self.values:
            values.highlighted = self.values.index(self.value)

    # ------------------------------------------------------------------ state
    def _present(self) -> list[str]:
        chosen = set(self.query_one("#consensus-present", SelectionList).selected)
        return [e.id for e in self.session.workspace.panel.evaluators if e.id in chosen]

    def _reason(self) -> str:
        return self.query_one("#consensus-reason", TextArea).text

    def _check(self) -> list[str]:
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        problems = self.session.problems(self.item, self.value, self._reason(), self._present())
        status = self.query_one("#moderate-problems", Static)
        if problems:
            status.update(plain("To record: " + "; ".join(problems)))
        else:
            status.update("Ready: ctrl+s records the consensus.")
        status.set_class(bool(problems) and self.attempted, "error")
        status.set_class(not problems, "saved")
        return problems

    def _choose(self, value: Decimal | str) -> None:
        self.value = value
        self._fill_values()
        self._check()

    @on(OptionList.OptionSelected, "#consensus-values")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._typing.cancel()
        self._choose(self.values[event.option_index])
        self.query_one("#consensus-reason", TextArea).focus()

    @on(OptionList.OptionHighlighted, "#consensus-values")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        value = self.values[event.option_index]
        descriptor = ""
        if self.criterion.kind is CriterionKind.SCORED:
            entry = self.session.tender.scale_of(self.criterion).entry(value)  # type: ignore[arg-type]
            descriptor = entry.descriptor.strip() if entry else ""
        given = [
            short_name(self.session.workspace.panel.by_id[e].name)
            for e, s in self.scores.scores.items()
            if s.value == value
        ]
        if given:
            descriptor += ("\n" if descriptor else "") + "Scored by " + ", ".join(given)
        self.query_one("#value-descriptor", Static).update(plain(descriptor))

    @on(TextArea.Changed, "#consensus-reason")
    def _typed(self) -> None:
        # Not on every key: the core's check re-reads every sheet. A short pause is enough.
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY, self._check)

    @on(SelectionList.SelectedChanged, "#consensus-present")
    def _attendance_changed(self) -> None:
        self._check()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._typing.settle()  # tab to the reason: a half-typed value is what was typed

    def _pick(self, value: Decimal | str) -> None:
        self._choose(value)
        self.query_one("#consensus-values", OptionList).highlighted = self.values.index(value)

    def _refused(self, message: str) -> None:
        say(self, message, severity="warning")

    def _pending(self, typed: str) -> None:
        values = self.query_one("#consensus-values", OptionList)
        values.border_subtitle = pending_hint(self.values, typed) or self._hint

    # ------------------------------------------------------------------ actions
    def action_pick_key(self, key: str) -> None:
        self._typing.press(key)

    def action_record(self) -> None:
        self._typing.settle()
        self.attempted = True
        problems = self._check()
        if problems or self.value is None:
            say(self, "; ".join(problems), title="Not recorded yet", severity="warning")
            return
        self.recorded = True
        self.dismiss(ConsensusDraft(self.value, self._reason().strip(), self._present()))

    def save_pending(self) -> list[str]:
        """Asked by the app before it quits: a typed reason is not recorded until ctrl+s."""
        if self.recorded or not self._reason().strip():
            return []
        bid = self.session.workspace.bids[self.item[0]].bidder.name
        return [
            f"the consensus reason you typed for {bid} / {self.criterion.title} is not "
            "recorded (ctrl+s records it)"
        ]

    def action_cancel(self) -> None:
        editor = self.query_one("#consensus-reason", TextArea)
        if self.focused is editor:
            self.query_one("#consensus-values", OptionList).focus()
            return
        if not editor.text.strip():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                "Discard this consensus?",
                "The reason you typed has not been recorded.",
                [],
                "Discard",
            ),
            answered,
        )
