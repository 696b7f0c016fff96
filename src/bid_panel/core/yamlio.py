"""Safe, strict, located YAML for files people edit by hand.

* Parsing uses libyaml's `CSafeLoader` when present (never an unsafe loader).
* Numbers with a fraction become `Decimal` straight from their text, so `0.1` is exactly 0.1.
* Duplicate keys, aliases/anchors, `.nan`/`.inf`, non-UTF-8 bytes, oversized files and
  anything that is not a mapping at the top are refused with the line and column.
* Pydantic validation errors are mapped back to `file:line:column` by re-composing the
  document (only on the error path, so the happy path stays fast).
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import hashlib
import mmap
import re
import stat
import threading
import types
import typing
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args, get_origin

import yaml

from bid_panel.core.errors import Finding, Findings
from bid_panel.core.gcpause import gc_paused

if TYPE_CHECKING:  # pydantic is imported where a model is validated, not to parse: the
    # scoring screen's first frame reads the panel file before the models load (signing)
    from pydantic import BaseModel, ValidationError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_HAND_EDITED_BYTES = 4 * 1024 * 1024
"""Tender, panel and bid files are written by people; 4 MB is far beyond any real one."""

MAX_RECORD_BYTES = 256 * 1024 * 1024
"""Score sheets and the moderation record are written by bid_panel and can be large."""

Model = TypeVar("Model", bound="BaseModel")
Loc = tuple[int | str, ...]

EventHook = Callable[[int, Any], Any]
"""each(index, item) -> what to keep instead of the item (see `_construct_events`)."""


class YamlProblem(Exception):
    """A problem found while reading YAML, with a 1-based position."""

    def __init__(self, message: str, hint: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column

    def finding(self, file: str | Path) -> Finding:
        return Finding(str(file), self.message, self.hint, self.line, self.column)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


class StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader whose constructors read floats as Decimal and refuse what a hand-edited
    file must not hold. Aliases, merge keys, duplicate keys and keys that are not plain
    values are refused by `_construct_events`, which builds every document."""

    def construct_yaml_float(self, node: yaml.Node) -> Decimal:
        text = str(self.construct_scalar(node)).replace("_", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            line, column = _pos(node.start_mark)
            raise YamlProblem(
                f"{node.value!r} is not a finite number",
                "write an ordinary number such as 12.5",
                line,
                column,
            )
        return value

    def construct_yaml_int(self, node: yaml.Node) -> int:
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # beyond Python's 4,300-digit limit for decimal text
            if len(str(node.value)) < 1000:
                raise
            value = 1 << 129
        if abs(value).bit_length() > 128:  # beyond any count, term or price (0x... has no cap)
            line, column = _pos(node.start_mark)
            raise YamlProblem(
                f"{_short(node.value)!r} is far too large a number",
                "write an ordinary number such as 12.5",
                line,
                column,
            )
        return value

    def refuse_tag(self, node: yaml.Node) -> Any:
        # Standard YAML 1.1 tags that build sets, ordered pairs and bytes: nothing in a
        # tender, panel, bid or record is one, and pydantic would quietly coerce them.
        line, column = _pos(node.start_mark)
        raise YamlProblem(
            f"the YAML tag !!{node.tag.rsplit(':', 1)[-1]} is not allowed",
            "custom YAML tags (!!python/..., !tag) are not allowed; remove the tag and "
            "write a plain list, mapping or text",
            line,
            column,
        )


_TAG_WORDS = {"int": "whole number", "timestamp": "date and time", "bool": "true/false"}

_VALUE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


def _value_problem(node: yaml.Node, exc: Exception) -> YamlProblem:
    """PyYAML's own constructors fail with plain Python errors on values that look like a
    date, a number or a boolean but are not one (`2026-02-30`, an integer of 5,000 digits,
    `!!bool maybe`): say where, instead of crashing."""
    line, column = _pos(node.start_mark)
    value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
    kind = node.tag.rsplit(":", 1)[-1]
    why = f" ({_short(exc)})" if type(exc) is ValueError else ""
    return YamlProblem(
        f"{_short(value)!r} is not a valid {_TAG_WORDS.get(kind, kind)}{why}",
        "correct the value, or put it in quotes if it is meant as text",
        line,
        column,
    )


def _short(text: object, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
for _tag in ("set", "omap", "pairs", "binary"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader.refuse_tag)


def _decode(data: bytes, *, limit: int) -> str:
    return _utf8(data, limit=limit).decode("utf-8")


def _utf8(data: bytes, *, limit: int) -> bytes:
    """`data` without a byte-order mark, checked to be UTF-8 text of at most `limit` bytes
    (YamlProblem otherwise), still as bytes: a record is parsed from these, never held as
    text as well (see `parse_record_bytes`)."""
    if len(data) > limit:
        raise YamlProblem(
            f"file is {len(data):,} bytes, larger than the {limit:,} byte limit",
            "check this is the right file; tender and bid files are small text files",
        )
    if b"\x00" in data:
        raise YamlProblem(
            "file contains NUL bytes: it looks like a binary file, not YAML text",
            "save it as plain UTF-8 text",
            *_byte_position(data, data.index(b"\x00")),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.isascii():  # checked without decoding (it allocates nothing)
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file with UTF-8 encoding",
            *_byte_position(data, exc.start),
        ) from None
    return data


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of the byte at `offset`, the column counted in characters
    (as editors count), not in bytes: the line before `offset` may hold multi-byte text."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].decode("utf-8", "replace")
    return data.count(b"\n", 0, offset) + 1, len(before) + 1


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 1-based position (libyaml's messages do not name the tab)."""
    lines = text.split("\n")
    if 0 < line <= len(lines) and 0 < column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return ""


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_KEY = object()
"""A mapping's frame waits for a key."""


def _alias_problem(mark: Any) -> YamlProblem:
    return YamlProblem(
        "YAML aliases and anchors (&name / *name) are not allowed",
        "write the value out in full where it is used",
        *_pos(mark),
    )


def _construct_node(loader: StrictLoader, node: yaml.Node) -> Any:
    """The value of one node by the loader's constructor for its tag (the strict ones
    above, and PyYAML's refusal for a tag it does not know)."""
    constructor = loader.yaml_constructors.get(node.tag) or loader.yaml_constructors[None]
    try:
        return constructor(loader, node)
    except _VALUE_ERRORS as exc:
        raise _value_problem(node, exc) from None


def _is_events(frame: list[Any]) -> bool:
    """The frame is the top-level mapping, reading the value of its `events` key."""
    return len(frame) == 3 and frame[1] == "events"


def _construct_events(loader: StrictLoader, each: EventHook | None = None) -> Any:
    """The document built straight from the parser's events, without PyYAML's node tree.

    `get_single_data` first composes every node of the file, each with two position
    marks, and keeps them all until the end: for a 17 MB moderation record that was over
    350 MB at once, more than everything the loaded tender holds (benchmarks/run.py). Here
    only the open mappings and lists are held; scalars are built by the same constructors
    and resolver. Aliases and anchors, merge keys, keys that are not plain values and
    duplicate keys are refused where they appear, as before; no recursion, so nesting is
    bounded by libyaml's own depth limit rather than Python's.

    `each(index, item)`, when given, is called with each item of the top-level `events`
    list (a record's events) as soon as it is built, and what it returns is kept in the
    list instead: a record's events are type-checked one by one as they are read, instead
    of the whole file being built as plain data first (see ledger.RecordFormat.read)."""
    events = yaml.events
    scalar_event, ends = events.ScalarEvent, (events.SequenceEndEvent, events.MappingEndEvent)
    loader.get_event()  # stream start
    if loader.check_event(events.StreamEndEvent):
        return None
    loader.get_event()  # document start
    # A frame is [list] for a sequence, or [dict, key or _KEY, {raw key: its mark}].
    stack: list[list[Any]] = []
    plain: dict[str, str] = {}  # a plain scalar's resolved tag, by its text (keys recur)
    # Ids, keys, event types and hashes recur thousands of times in a record (each event's
    # `prev` is the `hash` before it, the moderation record names every seal 12,000 times):
    # one string each per file, not one per occurrence.
    strings: dict[str, str] = {}
    while True:
        event = loader.get_event()
        if isinstance(event, ends):
            value = stack.pop()[0]
            start = None
        else:
            if type(event) is not scalar_event and isinstance(event, events.AliasEvent):
                raise _alias_problem(event.start_mark)
            if event.anchor is not None:
                raise _alias_problem(event.start_mark)
            frame = stack[-1] if stack else None
            wants_key = frame is not None and len(frame) == 3 and frame[1] is _KEY
            start = event.start_mark
            if type(event) is not scalar_event:
                if wants_key:
                    raise YamlProblem(
                        "a mapping key must be a plain value",
                        "use a simple name as key",
                        *_pos(start),
                    )
                mapping = isinstance(event, events.MappingStartEvent)
                kind = yaml.MappingNode if mapping else yaml.SequenceNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(kind, None, event.implicit)
                if tag != (_MAP if mapping else _SEQ):
                    if tag in (_MAP, _SEQ):
                        raise YamlProblem(
                            f"YAML syntax: expected a {tag[18:]} here, but found a "
                            f"{'mapping' if mapping else 'sequence'}",
                            "remove the tag",
                            *_pos(start),
                        )
                    _construct_node(loader, kind(tag, [], start, event.end_mark))
                    raise YamlProblem(  # pragma: no cover - every other tag refuses above
                        f"the YAML tag {tag!r} is not allowed here", "remove the tag", *_pos(start)
                    )
                stack.append([{}, _KEY, {}] if mapping else [[]])
                continue
            tag = event.tag
            if tag is None or tag == "!":
                text = event.value
                if event.implicit[0] and len(text) <= 64:
                    tag = plain.get(text)
                    if tag is None:
                        tag = plain[text] = loader.resolve(yaml.ScalarNode, text, event.implicit)
                else:
                    tag = loader.resolve(yaml.ScalarNode, text, event.implicit)
            if tag in (_MAP, _SEQ):  # `!!map text`: their constructors would not even run
                raise YamlProblem(
                    f"YAML syntax: expected a {tag[18:]} here, but found a scalar",
                    "remove the tag",
                    *_pos(start),
                )
            if wants_key:
                if tag == _MERGE:
                    raise YamlProblem(
                        "YAML merge keys (<<) are not allowed",
                        "write the keys out in full",
                        *_pos(start),
                    )
                first = frame[2].get(event.value)  # type: ignore[index]
                if first is not None:
                    raise YamlProblem(
                        f"duplicate key {event.value!r} (first given on line {first.line + 1})",
                        "keep one of the two; YAML would silently use only the last",
                        *_pos(start),
                    )
                frame[2][event.value] = start  # type: ignore[index]
            if tag == _STR:  # without a node per string
                value = event.value
                if len(value) <= 64:
                    value = strings.setdefault(value, value)
            else:
                node = yaml.ScalarNode(tag, event.value, start, event.end_mark, event.style)
                value = _construct_node(loader, node)
        if not stack:
            break
        frame = stack[-1]
        if len(frame) == 1:
            if each is not None and len(stack) == 2 and _is_events(stack[0]):
                value = each(len(frame[0]), value)
            frame[0].append(value)
        elif frame[1] is _KEY:
            if value in frame[0]:  # different text, same key (1 and 01, say)
                raise YamlProblem(
                    f"duplicate key {value!r}",
                    "keep one of the two; YAML would silently use only the last",
                    *_pos(start),
                )
            frame[1] = value
        else:
            frame[0][frame[1]] = value
            frame[1] = _KEY
    loader.get_event()  # document end
    if not loader.check_event(events.StreamEndEvent):
        extra = loader.get_event()
        raise YamlProblem(
            "YAML syntax: but found another document",
            "a file holds one YAML document: remove the `---` line and what follows it",
            *_pos(extra.start_mark),
        )
    return value


def parse_yaml_text(text: str) -> dict[str, Any]:
    """Parse one YAML document that must be a mapping. Raises `YamlProblem`."""
    if not text.strip():
        raise YamlProblem("file is empty", "the file must hold a YAML mapping (key: value lines)")
    return _parse(text, lambda: text)


def parse_record_bytes(
    data: memoryview, *, limit: int, each: EventHook
) -> tuple[memoryview, dict[str, Any]]:
    """`parse_yaml_bytes` for a record, which can be large: returns (body, data), the body
    being the text as UTF-8 (a view of `data` after any byte-order mark), parsed as it is
    and never decoded beside it; each event is passed to `each` as soon as it is built
    (see `_construct_events`). For the 17 MB moderation record of a large tender, the
    bytes, the text, libyaml's copy of it and the whole file as plain data were all alive
    at once beside the typed events (benchmarks/pipeline.py). Raises `YamlProblem`, the
    same as `parse_yaml_bytes` would."""
    body = data[_checked_start(data, limit) :]
    try:
        # As parse_yaml_text's test, without decoding a file that holds printable ASCII.
        if re.search(rb"[!-~]", body) is None and not str(body, "utf-8").strip():
            raise YamlProblem(
                "file is empty", "the file must hold a YAML mapping (key: value lines)"
            )
        return body, _parse(_Reader(body), lambda: str(body, "utf-8"), each)
    except BaseException:
        # Not left to the traceback's frames: the caller's memory is given back at once.
        body.release()
        raise


def _checked_start(data: memoryview, limit: int) -> int:
    """Where the text of `data` starts (after a byte-order mark), once it is checked as
    `_utf8` checks it, without a copy; `_utf8` itself says what is wrong, if anything."""
    if len(data) > limit or re.search(rb"[\x00\x80-\xff]", data) is not None:
        if len(data) > limit or re.search(rb"\x00", data) is not None:
            _utf8(bytes(data), limit=limit)
            raise AssertionError("_utf8 accepted what this check refused")  # never parse it
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for start in range(0, len(data), 1 << 16):
                decoder.decode(data[start : start + (1 << 16)])
            decoder.decode(b"", True)
        except UnicodeDecodeError:
            _utf8(bytes(data), limit=limit)
            raise AssertionError("_utf8 accepted what this check refused") from None
    return 3 if data[:3] == b"\xef\xbb\xbf" else 0


class _Reader:
    """A record's text for libyaml to read a piece at a time, not given whole as a bytes
    object it would have to be copied into."""

    name = "<byte string>"  # what libyaml calls a text given whole, in its messages

    def __init__(self, body: memoryview) -> None:
        self._body = body
        self._at = 0

    def read(self, size: int) -> bytes:
        piece = self._body[self._at : self._at + size].tobytes()
        self._at += len(piece)
        return piece


def _parse(
    stream: str | bytes, text: Callable[[], str], each: EventHook | None = None
) -> dict[str, Any]:
    """Parse one document from `stream` (str, or checked UTF-8 bytes without a byte-order
    mark: libyaml reads the same bytes either way); `text()` gives it as text, for the
    hints of a few errors only."""
    loader = StrictLoader(stream)
    try:
        data = _construct_events(loader, each)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _pos(mark)
        problem = exc.problem or "not valid YAML"
        hint = "check the indentation and quoting around this position"
        if "could not determine a constructor" in str(problem) or "tag" in str(problem):
            hint = "custom YAML tags (!!python/..., !tag) are not allowed; remove the tag"
        elif (
            "\\t" in str(problem) or "tab" in str(problem) or _char_at(text(), line, column) == "\t"
        ):
            hint = "YAML does not allow tab characters for indentation; use spaces"
        raise YamlProblem(f"YAML syntax: {problem}", hint, line, column) from None
    except yaml.reader.ReaderError as exc:  # a control character (terminal escapes, ...)
        before = text()[: exc.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise YamlProblem(
            f"character {exc.character:#06x} is not allowed in YAML ({exc.reason})",
            "remove the control character; YAML text must be printable",
            line,
            column,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax: {exc}", "check the file is valid YAML") from None
    except RecursionError:
        raise YamlProblem("YAML nesting is too deep", "flatten the structure") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise YamlProblem(
            f"the top of the file must be a mapping of keys to values, not {kind}",
            "start the file with lines such as `reference: ...`",
            1,
            1,
        )
    return data


def read_yaml_file(path: Path, *, limit: int = MAX_HAND_EDITED_BYTES) -> tuple[str, dict[str, Any]]:
    """Read and parse `path`; return (text, data). Raises `YamlProblem`."""
    return parse_yaml_bytes(read_file_bytes(path, limit=limit), limit=limit)


def parse_yaml_bytes(data: bytes, *, limit: int) -> tuple[str, dict[str, Any]]:
    text = _decode(data, limit=limit)
    return text, parse_yaml_text(text)


def read_file_bytes(path: Path, *, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Raises `YamlProblem`."""
    return _read_file(path, limit, _read_bytes)


def read_file_mapped(path: Path, *, limit: int) -> bytes | mmap.mmap:
    """`read_file_bytes` into memory mapped for the file alone (an anonymous mmap: empty
    files aside), which `release` gives back to the system at once. A record is read,
    parsed and let go: read onto the heap, its 5 to 17 MB raised the C allocator's mmap
    threshold to their size, after which the allocator kept up to twice that in free heap
    memory instead of returning it, 20 MB of a large tender's export (benchmarks/
    pipeline.py, with mallinfo)."""
    return _read_file(path, limit, _read_mapped)


def release(data: bytes | mmap.mmap) -> None:
    """Give back what `read_file_mapped` read (nothing to do for bytes)."""
    if isinstance(data, mmap.mmap):
        with contextlib.suppress(BufferError):  # a view still held (by a traceback): it
            data.close()  # is then closed when collected


def _read_file(path: Path, limit: int, read: Callable[[Any, int, int], Any]) -> Any:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            # A FIFO or a device (/dev/zero) would block or never end.
            raise YamlProblem("is not a regular file", "give the path of a .yaml file")
        if info.st_size > limit:
            raise YamlProblem(
                f"file is {info.st_size:,} bytes, larger than the {limit:,} byte limit",
                "check this is the right file",
            )
        with path.open("rb") as handle:
            return read(handle, info.st_size, limit)
    except FileNotFoundError:
        raise YamlProblem("file not found", "check the path") from None
    except IsADirectoryError:
        raise YamlProblem("is a folder, not a file", "give the path of a .yaml file") from None
    except PermissionError:
        raise YamlProblem("permission denied", "check the file's permissions") from None
    except OSError as exc:  # a link loop, a name too long, an I/O error...
        raise YamlProblem(
            f"cannot read the file: {exc.strerror or exc}", "check the path and the disk"
        ) from None


def _read_bytes(handle: Any, size: int, limit: int) -> bytes:
    # Not read(limit + 1): that allocates the whole limit (256 MB for a record) first.
    data: bytes = handle.read(size + 1)
    if len(data) > size:  # still growing: it cannot exceed the limit either
        data += handle.read(limit + 1 - len(data))
    return data


def _read_mapped(handle: Any, size: int, limit: int) -> bytes | mmap.mmap:
    if size == 0:
        return _read_bytes(handle, size, limit)
    data = mmap.mmap(-1, size)  # never resized: not every system can (macOS)
    try:
        count = handle.readinto(data)
        more = handle.read(1) if count == size else b""
    except BaseException:
        data.close()
        raise
    if count == size and not more:
        return data
    # The file changed size while it was read (rare): its bytes, as `_read_bytes` reads them.
    kept = data[:count] + more
    data.close()
    if more:  # still growing: it cannot exceed the limit either
        kept += handle.read(limit + 1 - len(kept))
    return kept


class ParseCache:
    """Parsed files by path and SHA-256 of their bytes, kept while something still uses them.

    `load_workspace`, `verify` and the exports each read the same files; at 100,000 scores
    that is 60 MB of YAML parsed two or three times over (benchmarks/run.py, profiled).
    Keyed on the content's hash, never on times or sizes: a file changed by one byte, however
    quickly, is parsed afresh, so tamper checks always see the bytes on disk. What is cached
    must not be mutated (models are frozen; record writers take their own copy)."""

    def __init__(self) -> None:
        self._items: weakref.WeakValueDictionary[tuple[object, ...], Any] = (
            weakref.WeakValueDictionary()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Any:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[object, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value


PARSED = ParseCache()


def content_key(path: Path, data: bytes, *extra: object) -> tuple[object, ...]:
    return (str(path), hashlib.sha256(data).digest(), *extra)


# --------------------------------------------------------------------------- locations


@dataclass
class Locator:
    """Finds the line and column of a path such as ('criteria', 2, 'weight') in a document."""

    text: str
    _root: yaml.Node | None = None
    _composed: bool = False
    _index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, repr=False
    )

    def _entries(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping's (key node, value node) by key, first occurrence: one scan per mapping,
        so locating thousands of findings (a file of 100,000 unknown keys) stays linear."""
        entries = self._index.get(id(node))
        if entries is None:
            entries = {}
            for key_node, value_node in node.value:
                entries.setdefault(str(key_node.value), (key_node, value_node))
            self._index[id(node)] = entries
        return entries

    def _tree(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=_BaseLoader)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def position(self, loc: Sequence[int | str], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `loc`, or of the deepest part that exists.

        With `key=True` the position of the mapping key itself is returned (for unknown keys).
        """
        node = self._tree()
        if node is None:
            return (0, 0)
        best = _pos(node.start_mark)
        for index, part in enumerate(loc):
            last = index == len(loc) - 1
            if isinstance(node, yaml.MappingNode):
                found = self._entries(node).get(str(part))
                if found is None:
                    return best
                key_node, node = found
                best = _pos(key_node.start_mark if (key and last) else node.start_mark)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                    best = _pos(node.start_mark)
                else:
                    return best
            else:
                return best
        return best


# --------------------------------------------------------------------------- validation


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The pydantic model class that owns the location `loc` (for suggesting keys)."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, tuple, Sequence) and isinstance(part, int):
            args = get_args(current)
            current = args[0] if args else Any
        elif get_origin(current) is dict:
            args = get_args(current)
            current = args[1] if len(args) == 2 else Any
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated/union-with-None down to the one real type, if there is one."""
    from pydantic import BaseModel

    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            real = [a for a in get_args(annotation) if a is not type(None)]
            models = [a for a in real if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(real) == 1:
                annotation = real[0]
                continue
            if len(models) == 1:
                annotation = models[0]
                continue
        return annotation


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def validation_findings(
    exc: ValidationError, model: type[BaseModel], file: str | Path, locator: Locator
) -> list[Finding]:
    """Turn a pydantic error into located, readable findings with a fix for each."""
    findings: list[Finding] = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        kind = error["type"]
        where = _loc_text(loc)
        msg = error["msg"]
        hint = ""
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            allowed = _field_names(owner) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            message = f"unknown key {loc[-1]!r} at {where}"
            hint = f"did you mean {close[0]!r}?" if close else "remove it."
            if allowed:
                hint += f" Allowed keys here: {', '.join(allowed)}"
            line, column = locator.position(loc, key=True)
            findings.append(Finding(str(file), message, hint, line, column))
            continue
        if kind == "missing":
            message = f"missing required key {loc[-1]!r} at {where}"
            hint = f"add `{loc[-1]}:` here"
            line, column = locator.position(loc[:-1])
            findings.append(Finding(str(file), message, hint, line, column))
            continue
        if kind == "value_error":
            # Our own validators raise ValueError("what is wrong | how to fix it").
            text = str(error.get("ctx", {}).get("error", msg))
            message, _, hint = text.partition(" | ")
            message = f"{where}: {message}"
        else:
            message = f"{where}: {msg} (got {_short(repr(error.get('input')))})"
            hint = _hint_for(kind)
        line, column = locator.position(loc)
        findings.append(Finding(str(file), message, hint, line, column))
    return findings


def _is_union_tag(part: int | str) -> bool:
    # Pydantic inserts the member type name (e.g. 'decimal', 'literal[...]') into the loc
    # of union errors; it means nothing to a person editing YAML.
    return isinstance(part, str) and (
        part in {"decimal", "str", "int", "bool"}
        or part.startswith(("literal[", "function-", "tagged-union", "constrained-"))
    )


_HINTS = {
    "string_type": "write text (quote it if it looks like a number or yes/no)",
    "decimal_type": "write a plain number such as 25 or 12.5",
    "decimal_parsing": "write a plain number such as 25 or 12.5",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": "write a list, one `- item` per line",
    "dict_type": "write a mapping of `key: value` lines",
    "model_type": "write a mapping of `key: value` lines",
    "literal_error": "use one of the allowed values listed",
    "enum": "use one of the allowed values listed",
    "greater_than": "use a larger number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "string_too_short": "write more text",
    "string_too_long": "shorten the text",
    "string_pattern_mismatch": (
        "ids use lower-case letters, digits and hyphens, e.g. dcs-track-record"
    ),
    "datetime_type": "write a date and time with offset, e.g. 2026-10-01T11:42:00+01:00",
    "datetime_parsing": "write a date and time with offset, e.g. 2026-10-01T11:42:00+01:00",
    "timezone_aware": "add the UTC offset, e.g. +00:00",
    "finite_number": "write an ordinary number",
    "decimal_max_digits": "write an ordinary amount (at most 20 digits)",
    "decimal_max_places": "write at most 4 decimal places",
}


def _hint_for(kind: str) -> str:
    return _HINTS.get(kind, "see the JSON Schema in schemas/ for what this key takes")


@dataclass
class Loaded(Generic[Model]):
    """A validated model, with the text it came from (for locating cross-file findings)."""

    path: Path
    model: Model
    text: str
    locator: Locator


@gc_paused()
def load_model(path: Path, model: type[Model], findings: Findings) -> Loaded[Model] | None:
    """Load the hand-edited file `path` as `model`; on failure add located findings and
    return None."""
    try:
        raw = read_file_bytes(path, limit=MAX_HAND_EDITED_BYTES)
        key = content_key(path, raw, model)
        cached = PARSED.get(key)
        if cached is not None:
            return cached
        text, data = parse_yaml_bytes(raw, limit=MAX_HAND_EDITED_BYTES)
    except YamlProblem as problem:
        findings.add(problem.finding(path))
        return None
    loaded = validate_data(text, data, model, findings, path=path, display=str(path))
    if loaded is not None:
        PARSED.put(key, loaded)
    return loaded


def validate_data(
    text: str,
    data: dict[str, Any],
    model: type[Model],
    findings: Findings,
    *,
    path: Path,
    display: str,
) -> Loaded[Model] | None:
    from pydantic import ValidationError

    locator = Locator(text)
    try:
        instance = model.model_validate(data)
    except ValidationError as exc:
        findings.extend(validation_findings(exc, model, display, locator))
        return None
    except RecursionError:
        findings.error(display, "structure is nested too deeply", "flatten the file")
        return None
    return Loaded(path=path, model=instance, text=text, locator=locator)
