"""Append-only, hash-chained records kept as readable YAML.

A record is a header plus a list of events. Each event's `hash` is the SHA-256 of the
canonical JSON of its content (sorted keys, no spaces, Decimals as strings, UTC times)
including `prev`, the hash of the event before it; the first event's `prev` is the hash of
the header. So re-indenting the YAML changes nothing, while editing, deleting or reordering
any event, or editing the header, breaks the chain.

Writes rewrite the whole file atomically under an exclusive lock; rendered event text is
cached so that an append costs one write, not a re-serialisation of the record.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from bid_panel.core import clock
from bid_panel.core.atomic import (
    FileLock,
    atomic_write_text,
    explain_os_error,
    remove_stale_temporaries,
)
from bid_panel.core.errors import Finding, Findings, RecordError
from bid_panel.core.gcpause import gc_paused
from bid_panel.core.yamlio import (
    MAX_RECORD_BYTES,
    PARSED,
    Locator,
    YamlProblem,
    content_key,
    parse_record_bytes,
    read_file_mapped,
    release,
    validation_findings,
)

_Dumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

H = TypeVar("H", bound=BaseModel)
E = TypeVar("E", bound=BaseModel)

UNHASHED_FIELDS = frozenset({"hash", "signature"})
"""`hash` is the result, `signature` signs the hash: neither can be part of what is hashed."""


def canonical_json(data: Any) -> bytes:
    """The canonical serialisation every hash in bid_panel is computed over."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    ).encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def header_hash(header: BaseModel) -> str:
    return sha256_hex(canonical_json(header.model_dump(mode="json")))


def event_content(event: BaseModel | dict[str, Any]) -> dict[str, Any]:
    data = event.model_dump(mode="json") if isinstance(event, BaseModel) else dict(event)
    return {k: v for k, v in data.items() if k not in UNHASHED_FIELDS}


def compute_event_hash(event: BaseModel | dict[str, Any]) -> str:
    return sha256_hex(canonical_json(event_content(event)))


# --------------------------------------------------------------------------- rendering


class _RecordDumper(_Dumper):  # type: ignore[misc,valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    # Not for text ending in a blank line (or only line breaks): that needs a keep-chomped
    # block ("|+"), after which the emitter ends the document with "...", and a record is
    # events rendered one by one and joined: a "..." mid-file makes it unreadable.
    block = "\n" in text and text.strip("\n") != "" and not text.endswith("\n\n")
    style = "|" if block else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_RecordDumper.add_representer(str, _represent_str)


def _yaml_ready(python: Any, json_mode: Any) -> Any:
    """The JSON-mode dump, except that whole-number Decimals are written as plain numbers
    (`score: 3`, not `score: '3'`) so a person reads the record easily."""
    if isinstance(json_mode, dict):
        return {k: _yaml_ready(python[k], v) for k, v in json_mode.items()}
    if isinstance(json_mode, list):
        return [_yaml_ready(p, j) for p, j in zip(python, json_mode, strict=True)]
    if isinstance(python, Decimal) and json_mode.lstrip("-").isdigit():
        return int(json_mode)  # "3" only: "3.0" stays a string so its hash is unchanged
    return json_mode


def render_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_RecordDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


# --------------------------------------------------------------------------- chain checks


@dataclass(frozen=True)
class ChainProblem:
    index: int
    """0-based index of the event in the file (-1: the header)."""
    code: str
    """chain-order, chain-link or chain-hash (stable: `bid-panel verify` reports it)."""
    seq: int | None
    message: str
    meaning: str


def check_chain(header: BaseModel, events: Sequence[BaseModel]) -> list[ChainProblem]:
    """Every way the chain can be broken, event by event."""
    problems: list[ChainProblem] = []
    expected_prev = header_hash(header)
    for index, event in enumerate(events):
        seq = getattr(event, "seq", None)
        if seq != index + 1:
            problems.append(
                ChainProblem(
                    index,
                    "chain-order",
                    seq,
                    f"the event at position {index + 1} carries seq {seq}",
                    "events were deleted, inserted or reordered after they were written",
                )
            )
        if getattr(event, "prev", None) != expected_prev:
            before = "the header" if index == 0 else f"the event before it (position {index})"
            problems.append(
                ChainProblem(
                    index,
                    "chain-link",
                    seq,
                    f"event {seq} does not link to {before}: its prev hash does not match",
                    "an earlier event or the header was edited, deleted or reordered",
                )
            )
        actual = compute_event_hash(event)
        if getattr(event, "hash", None) != actual:
            problems.append(
                ChainProblem(
                    index,
                    "chain-hash",
                    seq,
                    f"event {seq}'s content does not match its hash",
                    "this event was edited after it was written",
                )
            )
        expected_prev = getattr(event, "hash", actual)
    return problems


# --------------------------------------------------------------------------- the record


class RecordFile(Generic[H, E]):
    """A parsed record: header and typed events, with the text for locating findings."""

    def __init__(self, path: Path, header: H, events: list[E], text: str = "") -> None:
        self.path = path
        self.header = header
        self.events = events
        self.text = text
        self._rendered: list[str] | None = None  # see _chunks
        self._locator: Locator | None = None

    # The text is needed only to locate a finding; kept compressed (a fifth of the size),
    # it no longer holds 40 MB of a large tender's sheets in memory (benchmarks/run.py).
    @property
    def text(self) -> str:
        return zlib.decompress(self._packed).decode("utf-8") if self._packed else ""

    @text.setter
    def text(self, value: str) -> None:
        self._packed = zlib.compress(value.encode("utf-8"), 1) if value else b""

    @property
    def head(self) -> str:
        """Hash of the last event (the header's hash when there is none)."""
        return self.events[-1].hash if self.events else header_hash(self.header)  # type: ignore[attr-defined]

    def locate(self, index: int) -> tuple[int, int]:
        # One Locator (one composition of the YAML) per record, not one per finding: a
        # sheet with a hundred findings was composed a hundred times.
        if self._locator is None:
            self._locator = Locator(self.text)
        if index < 0:
            return self._locator.position(("header",))
        return self._locator.position(("events", index))

    def keep_text(self, encoded: memoryview) -> None:
        """Keep the text given as its UTF-8 bytes (`text = ...` without decoding them),
        compressed a piece at a time: zlib.compress of a whole 17 MB record grew its output
        in blocks of up to 4 MB, freed once joined (see yamlio.read_file_mapped for why
        that matters)."""
        packer = zlib.compressobj(1)
        pieces = [
            packer.compress(encoded[start : start + (1 << 16)])
            for start in range(0, len(encoded), 1 << 16)
        ]
        self._packed = b"".join([*pieces, packer.flush()]) if encoded else b""

    def copy(self) -> RecordFile[H, E]:
        """A record of its own (a new list of the same events), for a writer to append to;
        the text is shared as it is kept, not decompressed and compressed again."""
        twin: RecordFile[H, E] = RecordFile(self.path, self.header, list(self.events))
        twin._packed = self._packed
        return twin

    def render(self) -> str:
        chunks = self._chunks()
        return (
            _BANNER
            + render_yaml({"header": self.header.model_dump(mode="json")})
            + ("events:\n" + "".join(chunks) if chunks else "events: []\n")
        )

    def _chunks(self) -> list[str]:
        """The events rendered as YAML, made when first needed and kept, so that a writer's
        append costs one event's rendering: not when a record is read, where rendering the
        12,000 events of a large sheet took over a second that a sheet read never needs."""
        if self._rendered is None:
            self._rendered = [_render_event(e) for e in self.events]
        return self._rendered


_BANNER = (
    "# bid_panel record. Append-only: each event is chained to the one before by\n"
    "# SHA-256 (prev, hash). Do not edit; `bid-panel verify` detects any change.\n"
)


def _render_event(event: BaseModel) -> str:
    ready = _yaml_ready(
        event.model_dump(exclude_none=True), event.model_dump(mode="json", exclude_none=True)
    )
    return render_yaml([ready])


class RecordFormat(Generic[H, E]):
    """How to read and write one kind of record (score sheet, moderation record)."""

    def __init__(
        self, name: str, header_model: type[H], event_type: Any, tags: frozenset[str]
    ) -> None:
        self.name = name
        self.tags = tags
        self.header_model = header_model
        self.event_adapter: TypeAdapter[E] = TypeAdapter(event_type)
        self.events_adapter: TypeAdapter[list[E]] = TypeAdapter(list[event_type])  # type: ignore[valid-type]

    # ---------------------------------------------------------------- reading
    @gc_paused()
    def read(
        self, path: Path, findings: Findings, display: str | None = None
    ) -> RecordFile[H, E] | None:
        """Parse and type-check a record; add located findings on failure.

        The file is read into memory of its own, given back as soon as it is parsed (see
        yamlio.read_file_mapped), and each event is type-checked as soon as the parser has
        built it, so the file is never whole as plain data beside its events, nor as text
        beside its bytes (see yamlio.parse_record_bytes): reading the 17 MB moderation
        record of a large tender peaked at 70 MB above what it keeps (benchmarks/
        pipeline.py, profiled)."""
        name = display or str(path)
        try:
            raw = read_file_mapped(path, limit=MAX_RECORD_BYTES)
        except YamlProblem as problem:
            findings.add(problem.finding(name))
            return None
        try:
            with memoryview(raw) as view:
                return self._read(path, view, findings, name)
        finally:
            release(raw)

    def _read(
        self, path: Path, raw: memoryview, findings: Findings, name: str
    ) -> RecordFile[H, E] | None:
        key = content_key(path, raw, self.name)
        cached = PARSED.get(key)
        if cached is not None:  # the same bytes, already parsed and type-checked
            return cached
        errors: list[Any] = []  # pydantic's error dicts, located in the file
        shared = _Shared()

        def each(index: int, item: Any) -> E | None:
            try:
                return shared(self.event_adapter.validate_python(item))
            except ValidationError as exc:
                errors.extend(
                    {**error, "loc": (index, *error["loc"])}
                    for error in exc.errors(include_url=False)
                )
                return None

        try:
            body, data = parse_record_bytes(raw, limit=MAX_RECORD_BYTES, each=each)
        except YamlProblem as problem:
            findings.add(problem.finding(name))
            return None
        with body:
            unknown = set(data) - {"header", "events"}
            if unknown or "header" not in data:
                line, column = Locator(str(body, "utf-8")).position(())
                findings.error(
                    name,
                    f"a {self.name} has exactly two keys, header and events"
                    + (f" (found {', '.join(sorted(map(str, unknown)))})" if unknown else ""),
                    "restore the file from the last good copy; records are written by bid_panel",
                    line,
                    column,
                )
                return None
            header_error: ValidationError | None = None
            try:
                header = self.header_model.model_validate(data["header"])
            except ValidationError as exc:
                header_error = exc
            events = data.get("events") or []
            if not isinstance(events, list):  # not a list: its items were not passed to `each`
                try:
                    events = self.events_adapter.validate_python(events)
                except ValidationError as exc:
                    errors.extend(exc.errors(include_url=False))
            if header_error is not None or errors:
                locator = Locator(str(body, "utf-8"))
                if header_error is not None:
                    within = _Within(locator, "header")
                    findings.extend(
                        _prefixed(
                            validation_findings(header_error, self.header_model, name, within),
                            "header",
                        )
                    )
                findings.extend(_event_findings(errors, name, locator, self.tags))
                return None
            record = RecordFile(path, header, events)
            record.keep_text(body)
        PARSED.put(key, record)
        return record

    # ---------------------------------------------------------------- writing
    def create(self, path: Path, header: H) -> None:
        """Write a new, empty record; refuses to overwrite one that exists."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise explain_os_error(exc, path) from None
        with FileLock(path):
            # Checked under the lock: two windows starting the same sheet at once must not
            # both create it (the second would replace the first's record).
            if path.exists():
                raise RecordError(f"{path} already exists; records are never overwritten")
            atomic_write_text(path, RecordFile(path, header, []).render())

    def open_writer(self, path: Path) -> RecordWriter[H, E]:
        return RecordWriter(self, path)


class _Within(Locator):
    """Positions of locations inside one key of the document (the record's header)."""

    def __init__(self, outer: Locator, key: str) -> None:
        super().__init__(outer.text)
        self.outer = outer
        self.key = key

    def position(self, loc: Sequence[int | str], *, key: bool = False) -> tuple[int, int]:
        return self.outer.position((self.key, *loc), key=key)


class _Shared:
    """Makes the events of a record share what recurs in them, as each is read:

    - one `__pydantic_fields_set__` for events with the same set fields, instead of a set
      each: 728 bytes per event, 80 MB of a large tender's 110,000 events (measured with
      benchmarks/run.py). Safe because the events are frozen: pydantic never changes the
      set of a frozen model, and `model_copy` copies it;
    - the names of their fields: each event's fields are moved into a dict that shares its
      keys with every other event of its kind (see `_fields_holder`), 128 bytes less a score
      event, 280 a consensus entry: 16 MB of the same tender;
    - one Decimal for each score as written (`3`, `2.5`: a handful per record), in an
      event's fields and in its mappings (a consensus's `individual` scores), instead of
      one each: 104 bytes a score, 20 MB of the same tender. Only a Decimal of the very
      same text (digits, exponent and sign: `3` and `3.0` stay apart), so every value,
      dump and hash is unchanged; the mappings are the event's own, built by pydantic;
    - one list or mapping of text for equal ones, in the same order: each of the 12,000
      consensus entries of the same tender names the same sheet seals and, mostly, the
      same people present (6 MB). Like the events, they are never changed once read."""

    def __init__(self) -> None:
        self.fields_sets: dict[frozenset[str], set[str]] = {}
        self.decimals: dict[str, Decimal] = {}
        self.containers: dict[tuple[Any, ...], Any] = {}

    def __call__(self, event: E) -> E:
        fields = event.__pydantic_fields_set__
        object.__setattr__(
            event, "__pydantic_fields_set__", self.fields_sets.setdefault(frozenset(fields), fields)
        )
        holder = _fields_holder(type(event))()
        for name, value in event.__dict__.items():
            kind = type(value)
            if kind is Decimal:
                value = self.decimals.setdefault(str(value), value)
            elif kind is dict:
                for key, inner in value.items():  # values replaced, never keys added: safe
                    if type(inner) is Decimal:
                        value[key] = self.decimals.setdefault(str(inner), inner)
                if all(type(inner) is str for inner in value.values()):
                    value = self.containers.setdefault((dict, *value.items()), value)
            elif kind is list and all(type(inner) is str for inner in value):
                value = self.containers.setdefault((list, *value), value)
            setattr(holder, name, value)
        object.__setattr__(event, "__dict__", holder.__dict__)
        return event


_HOLDERS: dict[type, type] = {}


def _fields_holder(model: type) -> type:
    """A plain class whose instances hold the fields of a `model` event, to make its dict.

    CPython keeps the attributes of a plain class's instances in a dict that shares one
    table of keys with every other instance of the class, when they are set in the same
    order (pydantic's own dicts have a table each): set in field order, the fields of a
    score event take 144 bytes instead of 272. The dict is an ordinary dict with the same
    items in the same order (equality, dumps, copies and hashes see no difference); on an
    interpreter without key sharing it is simply as large as before."""
    holder = _HOLDERS.get(model)
    if holder is None:
        holder = _HOLDERS.setdefault(model, type(f"{model.__name__}Fields", (), {}))
    return holder


def _prefixed(findings: list[Finding], prefix: str) -> list[Finding]:
    return [
        Finding(f.file, f"{prefix}.{f.message}", f.hint, f.line, f.column, f.severity)
        for f in findings
    ]


def _event_findings(
    errors: list[Any], name: str, locator: Locator, tags: frozenset[str]
) -> list[Finding]:
    """Findings for pydantic's errors (dicts) at locations within the events list."""
    out = []
    for error in errors:
        loc = list(error["loc"])
        if len(loc) >= 2 and loc[1] in tags:
            del loc[1]  # pydantic puts the union member's tag into the location
        where = ("events", *loc)
        line, column = locator.position(where)
        out.append(
            Finding(
                name,
                f"{'.'.join(str(p) for p in where)}: {error['msg']}",
                "records are written by bid_panel; restore the last good copy",
                line,
                column,
            )
        )
    return out


class RecordWriter(Generic[H, E]):
    """Holds the lock on a record and appends events to it, one atomic write each."""

    def __init__(self, fmt: RecordFormat[H, E], path: Path) -> None:
        self.format = fmt
        self.path = path
        self.lock = FileLock(path)
        self.lock.acquire()
        try:
            remove_stale_temporaries(path)
            findings = Findings()
            record = fmt.read(path, findings)
            if record is None:
                raise RecordError(f"cannot open {path} for writing", findings)
            problems = check_chain(record.header, record.events)
            if problems:
                raise RecordError(
                    f"{path}: the record's hash chain is broken ({problems[0].message}); "
                    "nothing more can be appended. Run `bid-panel verify` for details."
                )
            # A record of its own: what `read` returns may be shared (see yamlio.ParseCache),
            # and appending must never change another reader's copy.
            self.record = record.copy()
        except BaseException:
            self.lock.release()
            raise

    @property
    def events(self) -> list[E]:
        return self.record.events

    @property
    def header(self) -> H:
        return self.record.header

    def append(self, fields: dict[str, Any], sign: Callable[[str], str] | None = None) -> E:
        """Append one event made of `fields` (without seq/at/prev/hash) and save at once."""
        if not self.lock.held:
            raise RecordError(f"{self.path} is closed")
        last_at = getattr(self.events[-1], "at", None) if self.events else None
        at = clock.now()
        if last_at is not None and at < last_at:
            at = last_at  # a clock stepping back must not make the record look reordered
        draft = {"seq": len(self.events) + 1, "at": at, "prev": self.record.head, **fields}
        digest = compute_event_hash(
            self.format.event_adapter.dump_python(
                self.format.event_adapter.validate_python({**draft, "hash": "0" * 64}), mode="json"
            )
        )
        full = {**draft, "hash": digest}
        if sign is not None:
            full["signature"] = sign(digest)
        event = self.format.event_adapter.validate_python(full)
        chunks = self.record._chunks()
        chunks.append(_render_event(event))
        self.events.append(event)
        try:
            atomic_write_text(self.path, self.record.render())
        except BaseException:
            chunks.pop()
            self.events.pop()
            raise
        return event

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> RecordWriter[H, E]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
