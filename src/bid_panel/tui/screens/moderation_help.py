"""The moderator's guide, shown by F1 on the moderation screens (the keys come first)."""

from __future__ import annotations

MODERATION_GUIDE = """
## How moderation works

1. **Readiness.** Moderation opens only when every assigned sheet is submitted, or its
   evaluator is withdrawn with a recorded reason. Opening records who is present and binds
   the moderation record to the seal of every sheet: a sheet changed afterwards shows in
   the gate.
2. **The matrix and the agenda.** Each cell shows the evaluators' scores and the item's
   state: `⚑` flagged (the scores spread by at least the tender's threshold), `•` the
   scores differ, `=` all evaluators agree, `✓` settled with its consensus, `–` a declared
   conflict. The agenda lists flagged items first, largest spread first.
3. **A consensus** is a value of the scale agreed by discussion, never an average, with a
   reason of at least the tender's minimum length that refers to the bid's own tender, and
   a record of who was present. Members who declared a conflict with the bidder are left
   out by default.
4. **Accepting agreed items** records each one as its own entry, with a reason built from
   the evidence the evaluators cited. Any item can be moderated again later: the change is
   a new entry with its own reason, and the item's history keeps both.
5. **Results are final** only when every flagged item is moderated, every other item
   moderated or accepted and, when the panel lists the moderator's key, the record signed
   as it stands (`s`); until then every results view says PROVISIONAL and why. A price the
   price evaluators disagree on is on the agenda too: compliant or not, with a reason.

The original individual scores are never changed. The moderation record is append-only
and hash-chained.
"""
