"""The scoring desk: everything of the scoring screen below its header, once the sheet is open.

Left, the work list; in the middle, the bid's response to the current criterion (or, for a
price evaluator, the price envelope and the formula's scores); on the right, the guidance
and the scale; below, the justification. Every change is saved at once to the evaluator's
hash-chained sheet through the core's `ScoringSession`.

A widget of its own, apart from `screens/scoring.py`: the screen (its header, footer and key
bindings) draws before the core and this module are imported, and mounts the desk when the
sheet is open; its actions are the desk's methods.
"""

from __future__ import annotations

from decimal import Decimal

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Markdown, Static, TextArea

from bid_panel.core.errors import BidPanelError
from bid_panel.core.scoring import display_text, effective_weights
from bid_panel.core.session import ItemStatus, ScoringSession
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.text import md_text, plain, say
from bid_panel.tui.widgets.scale_picker import ScalePicker, ValueTyping
from bid_panel.tui.widgets.work_list import WorkList

AUTOSAVE_DELAY = 1.0
"""Seconds of no typing after which a justification is saved (and always on leaving it)."""


class ScoringDesk(Horizontal):
    """The open sheet: work list, reading panes, scale and justification."""

    current: reactive[Item | None] = reactive(None, init=False)

    def __init__(self, session: ScoringSession) -> None:
        super().__init__(id="scoring-body")
        self.session = session
        self.points = effective_weights(session.tender)
        self._dirty = False
        self._save_error = ""
        """Why the last save failed ("" once one succeeds): shown while the text is unsaved."""
        self._save_timer: Timer | None = None
        self._typing = ValueTyping(self, self._pick, self._typed_refused, self._typed_pending)
        """Digits typed for a score (see `ValueTyping`): the same keys as the moderator's."""

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield WorkList(self.session, id="work-list")
        with Vertical(id="item-pane"):
            yield Static("", id="item-title")
            with Horizontal(id="reading-row"):
                with VerticalScroll(id="response-scroll"):
                    yield Markdown("", id="response")
                with Vertical(id="criterion-pane"):
                    with VerticalScroll(id="guidance-scroll"):
                        yield Static("", id="guidance")
                    yield ScalePicker(id="scale")
            yield TextArea(id="justification", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="save-status")

    def on_mount(self) -> None:
        if not self.children:
            return  # the app quit as the sheet opened: nothing was composed to set up
        self.query_one("#response-scroll").border_title = "Bid response"
        self.query_one("#guidance-scroll").border_title = "Guidance"
        editor = self.query_one("#justification", TextArea)
        editor.border_title = (
            f"Justification (at least {self.session.tender.rules.justification_min_length} "
            "characters; refer to the bid)"
        )
        if self.session.sealed:
            editor.read_only = True
        start = self.session.resume_item()
        work_list = self.query_one(WorkList)
        work_list.focus()
        if start is not None:
            work_list.select_item(start)
            self.current = start
        else:
            self.query_one("#item-title", Static).update(
                "Nothing to score: every bid is recused or no criteria are assigned."
            )
        self._update_status()

    # ------------------------------------------------------------------ showing an item
    def watch_current(self, old: Item | None, new: Item | None) -> None:
        if old is not None and old != new:
            self._typing.settle()  # a score half-typed goes to the item it was typed for
            self._flush(old)
        if new is not None:
            self._show(new)

    def _show(self, item: Item) -> None:
        session = self.session
        bid = session.bid(item[0])
        criterion = session.criterion(item)
        items = session.items()
        index = session.item_index(item)  # not items.index: 12,000 items on a large tender
        assert index is not None, "the screen shows only items of the work list"
        points = display_text(self.points[criterion.id], session.tender.rules.rounding)
        weight = (
            f"{score_text(criterion.weight)}% of its group, {points} points of 100"
            if criterion.weight is not None
            else "pass/fail gate"
        )
        self.query_one("#item-title", Static).update(
            plain(
                f"{bid.bidder.name} ({bid.bidder.organisation_type}) — {criterion.title}\n"
                f"Item {index + 1} of {len(items)} · {weight}"
            )
        )
        self.query_one("#guidance", Static).update(plain(criterion.guidance.strip() or "-"))
        response = self.query_one("#response", Markdown)
        if criterion.kind is CriterionKind.PRICE:
            response.update(self._price_markdown(item[0]))
            self.query_one("#response-scroll").border_title = "Price envelope"
        else:
            response.update(session.response(item) or "_No response._")
            self.query_one("#response-scroll").border_title = "Bid response"
        self.query_one("#response-scroll", VerticalScroll).scroll_home(animate=False)
        entry = session.entry(item)
        self._typing.reset(session.allowed_values(item), item)
        self.query_one(ScalePicker).show(session, item, entry.value if entry else None)
        editor = self.query_one("#justification", TextArea)
        editor.load_text(entry.justification if entry else "")
        self._dirty = False
        self._save_error = ""  # another item: its text is what is saved
        self._update_status()

    def _price_markdown(self, bidder: str) -> str:
        session = self.session
        price = session.price_envelope(bidder)
        currency = session.tender.currency
        if price is None:
            return "_This bid has no price envelope._"
        lines = [f"**Total: {currency} {price.total:,}**", "", "| Line | Amount |", "|---|---:|"]
        lines += [f"| {md_text(line.description)} | {line.amount:,} |" for line in price.lines]
        if price.notes.strip():
            lines += ["", "**Notes from the bidder**", "", price.notes.strip()]
        for preview in session.price_preview():
            lines += [
                "",
                f"**Price scores, formula `{preview.formula}`: {preview.formula_text}**",
                "",
            ]
            if preview.error:
                lines.append(f"> {md_text(preview.error)}")
                continue
            lines += ["| Bidder | Price | Points |", "|---|---:|---:|"]
            for other, points in sorted(preview.points.items(), key=lambda kv: -kv[1]):
                other_bid = session.bid(other)
                mark = " ◀" if other == bidder else ""
                total = other_bid.price.total if other_bid.price else Decimal(0)
                lines.append(
                    f"| {md_text(other_bid.bidder.name)}{mark} | {total:,} | "
                    f"{display_text(points, session.tender.rules.rounding)} |"
                )
            lines += [
                "",
                "_Provisional: computed over every bid; bids excluded later no "
                "longer set the lowest price._",
            ]
        return "\n".join(lines)

    # ------------------------------------------------------------------ saving
    def _save(self, item: Item, value: Decimal | str | None, justification: str) -> bool:
        try:
            self.session.set_score(item, value, justification)
        except BidPanelError as exc:
            say(self, str(exc), title="Not saved", severity="error", timeout=8)
            self._save_error = str(exc)
            self._update_status()
            return False
        self._dirty = False
        self._save_error = ""
        self.query_one(WorkList).refresh_item(item)
        self._update_status()
        return True

    def _flush(self, item: Item | None = None) -> bool:
        """Save a pending justification now (leaving the item, quitting, submitting).

        False when it could not be saved: the text stays in the editor, the status line says
        NOT SAVED and why."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        item = item or self.current
        if item is None or self.session.sealed:
            return True
        entry = self.session.entry(item)
        text = self.query_one("#justification", TextArea).text
        # The editor's text itself, not only the dirty flag: a key typed just before ctrl+q
        # may not have posted its Changed yet.
        if text == (entry.justification if entry else ""):
            self._dirty = False
            return True
        return self._save(item, entry.value if entry else None, text)

    @on(TextArea.Changed, "#justification")
    def _typed(self, event: TextArea.Changed) -> None:
        if self.session.sealed or self.current is None:
            return
        entry = self.session.entry(self.current)
        saved = entry.justification if entry else ""
        # Loading an item's text also posts Changed: only a real difference is unsaved work.
        self._dirty = event.text_area.text != saved
        if not self._dirty:
            return
        self._update_status()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(AUTOSAVE_DELAY, self._flush)

    def _update_status(self) -> None:
        status = self.query_one("#save-status", Static)
        done, total = self.session.progress()  # the session caches each item's status
        progress = f"{done}/{total} done"
        if self.session.sealed:
            at = self.session.state.submitted.at  # type: ignore[union-attr]
            status.update(
                plain(f"Submitted and sealed {at:%d %b %Y %H:%M} UTC · read-only · {progress}")
            )
            status.set_classes("saved")
            return
        if self._save_error:
            status.update(plain(f"NOT SAVED: {self._save_error}"))
            status.set_classes("error")
            return
        item = self.current
        length = len(self.query_one("#justification", TextArea).text.strip())
        minimum = self.session.tender.rules.justification_min_length
        parts = [
            ("Unsaved changes…" if self._dirty else self._saved_text()),
            progress,
            f"{length}/{minimum} characters",
        ]
        css = "unsaved" if self._dirty else "saved"
        if item is not None and not self._dirty and self.session.status(item) is ItemStatus.FLAGGED:
            parts.append("⚑ " + self.session.restatement(item).explanation)
            css = "unsaved"
        status.update(plain(" · ".join(parts)))
        status.set_classes(css)

    def _saved_text(self) -> str:
        """When the sheet was last written (the time of its newest event, in UTC)."""
        events = self.session.events
        return f"Saved {events[-1].at:%H:%M:%S} UTC" if events else "Nothing saved yet"

    # ------------------------------------------------------------------ events
    @on(WorkList.ItemHighlighted)
    def _highlighted(self, event: WorkList.ItemHighlighted) -> None:
        if event.item != self.current and not self._flush():
            # Not saved (disk full, read-only share): stay, so the text is not replaced.
            if self.current is not None:
                self.query_one(WorkList).select_item(self.current)
            return
        self.current = event.item

    @on(ScalePicker.Picked)
    def _picked(self, event: ScalePicker.Picked) -> None:
        self._typing.cancel()
        self._pick(event.value)

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        # Moving elsewhere settles a half-typed score (1 waiting to become 10 is 1).
        self._typing.settle()

    def _typed_refused(self, message: str) -> None:
        say(self, message, severity="warning")

    def _typed_pending(self, typed: str) -> None:
        self.query_one(ScalePicker).show_pending(typed)

    def _pick(self, value: Decimal | str, item: Item | None = None) -> None:
        item = item or self.current
        if item is None or self.session.sealed:
            return
        # A score settled as the cursor leaves its item (`watch_current`) is saved with that
        # item's justification, still in the editor: one event, not two.
        text = self.query_one("#justification", TextArea).text
        if self._save(item, value, text) and item == self.current:
            self.query_one(ScalePicker).show(self.session, item, value)
            if len(text.strip()) < self.session.tender.rules.justification_min_length:
                self.query_one("#justification", TextArea).focus()

    # ------------------------------------------------------------------ actions
    def allows(self, action: str) -> bool:
        """Whether the screen's binding for `action` applies now (`Screen.check_action`)."""
        sealed = self.session.sealed
        if action in {"pick_key", "step_score", "edit_justification", "submit"} and sealed:
            return False
        if action == "leave_editor":
            return isinstance(self.screen.focused, TextArea)
        if action == "pick_key":
            return self.current is not None
        return True

    def action_pick_key(self, key: str) -> None:
        if self.current is not None:
            self._typing.press(key)

    def action_step_score(self, step: int) -> None:
        self._typing.settle()
        if self.current is None:
            return
        values = self.session.allowed_values(self.current)
        entry = self.session.entry(self.current)
        if entry is None or entry.value is None:
            index = 0 if step > 0 else len(values) - 1
        else:
            index = max(0, min(len(values) - 1, values.index(entry.value) + step))
        self._pick(values[index])

    def _move(self, step: int) -> None:
        self._typing.settle()
        items = self.session.items()
        if not items or not self._flush():
            return  # not saved: stay on the item, its text still in the editor
        index = self.session.item_index(self.current)
        index = -1 if index is None else index
        target = items[max(0, min(len(items) - 1, index + step))]
        self.query_one(WorkList).select_item(target)
        self.current = target
        self.query_one(WorkList).focus()

    def action_next_item(self) -> None:
        self._move(1)

    def action_previous_item(self) -> None:
        self._move(-1)

    def action_edit_justification(self) -> None:
        self._typing.settle()
        self.query_one("#justification", TextArea).focus()

    def action_leave_editor(self) -> None:
        self._flush()
        self.query_one(WorkList).focus()

    def action_focus_response(self) -> None:
        self.query_one("#response-scroll").focus()

    def action_toggle_work_list(self) -> None:
        work_list = self.query_one(WorkList)
        work_list.display = not work_list.display

    def action_submit(self) -> None:
        self._typing.settle()
        if not self._flush():
            return
        problems = self.session.submission_problems()
        if problems:
            self.app.push_screen(
                ConfirmDialog(
                    "Not ready to submit",
                    "Every item needs an allowed score and a justification first:",
                    problems,
                    "Close",
                )
            )
            return
        flagged = [
            f"{self.session.bid(b).bidder.name} / {self.session.criterion((b, c)).title}: "
            + self.session.restatement((b, c)).explanation
            for b, c in self.session.flagged_items()
        ]
        message = (
            "Submitting seals your sheet: it can no longer change, and moderation can use it. "
            + (
                "These justifications are flagged as restating the criterion rather than "
                "pointing to the bid; consider revising them first:"
                if flagged
                else "No justification is flagged."
            )
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._do_submit()

        self.app.push_screen(
            ConfirmDialog("Submit your scores?", message, flagged, "Submit"), confirmed
        )

    def _do_submit(self) -> None:
        from bid_panel.core.signing import submission_signer

        evaluator = self.session.evaluator
        try:
            # Signed with the member's key when the panel lists one (refused if it is missing).
            sign, public_key = submission_signer(evaluator.id, evaluator.public_key)
            self.session.submit(sign=sign, public_key=public_key)
        except BidPanelError as exc:
            say(self, str(exc), title="Not submitted", severity="error", timeout=10)
            return
        self.query_one("#justification", TextArea).read_only = True
        signed = "sealed and signed" if sign else "sealed"
        say(self, f"Your sheet is submitted and {signed}.", title="Submitted")
        self.screen.refresh_bindings()
        self._update_status()

    def save_pending(self) -> list[str]:
        """Called by the app before it quits: save what is typed. Returns what could not be
        saved (empty when everything is), so the app can stay open rather than lose it."""
        self._typing.settle()
        if self._flush():
            return []
        item = self.current
        where = (
            f" for {self.session.bid(item[0]).bidder.name} / {self.session.criterion(item).title}"
            if item is not None
            else ""
        )
        return [f"the justification you typed{where} is not saved; it is still in the editor"]
