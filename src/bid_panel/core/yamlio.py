"""Safe, strict, located YAML for files people edit by hand.

* Parsing uses libyaml's `CSafeLoader` when present (never an unsafe loader).
* Numbers with a fraction become `Decimal` straight from their text, so `0.1` is exactly 0.1.
* Duplicate keys, aliases/anchors, `.nan`/`.inf`, non-UTF-8 bytes, oversized files and
  anything that is not a mapping at the top are refused with the line and column.
* Pydantic validation errors are mapped back to `file:line:column` by re-composing the
  document (only on the error path, so the happy path stays fast).
"""

from __future__ import annotations

import difflib
import stat
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from bid_panel.core.errors import Finding, Findings

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_HAND_EDITED_BYTES = 4 * 1024 * 1024
"""Tender, panel and bid files are written by people; 4 MB is far beyond any real one."""

MAX_RECORD_BYTES = 256 * 1024 * 1024
"""Score sheets and the moderation record are written by bid_panel and can be large."""

Model = TypeVar("Model", bound=BaseModel)
Loc = tuple[int | str, ...]


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
    """Safe loader that refuses duplicate keys and aliases, and reads floats as Decimal."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # An alias is the same node object reached a second time: refusing it here stops
        # "billion laughs" expansion before anything walks the tree.
        if node in self.constructed_objects or node in self.recursive_objects:
            line, column = _pos(node.start_mark)
            raise YamlProblem(
                "YAML aliases and anchors (&name / *name) are not allowed",
                "write the value out in full where it is used",
                line,
                column,
            )
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # PyYAML's own constructors fail with plain Python errors on values that look
            # like a date, a number or a boolean but are not one (`2026-02-30`, an integer
            # of 5,000 digits, `!!bool maybe`): say where, instead of crashing.
            line, column = _pos(node.start_mark)
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            kind = node.tag.rsplit(":", 1)[-1]
            why = f" ({_short(exc)})" if type(exc) is ValueError else ""
            raise YamlProblem(
                f"{_short(value)!r} is not a valid {_TAG_WORDS.get(kind, kind)}{why}",
                "correct the value, or put it in quotes if it is meant as text",
                line,
                column,
            ) from None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    line, column = _pos(key_node.start_mark)
                    raise YamlProblem(
                        "YAML merge keys (<<) are not allowed",
                        "write the keys out in full",
                        line,
                        column,
                    )
                if not isinstance(key_node, yaml.ScalarNode):
                    line, column = _pos(key_node.start_mark)
                    raise YamlProblem(
                        "a mapping key must be a plain value",
                        "use a simple name as key",
                        line,
                        column,
                    )
                key = key_node.value
                if key in seen:
                    line, column = _pos(key_node.start_mark)
                    first, _ = _pos(seen[key].start_mark)
                    raise YamlProblem(
                        f"duplicate key {key!r} (first given on line {first})",
                        "keep one of the two; YAML would silently use only the last",
                        line,
                        column,
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

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


def _short(text: object, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
for _tag in ("set", "omap", "pairs", "binary"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader.refuse_tag)


def _decode(data: bytes, *, limit: int) -> str:
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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file with UTF-8 encoding",
            *_byte_position(data, exc.start),
        ) from None


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


def parse_yaml_text(text: str) -> dict[str, Any]:
    """Parse one YAML document that must be a mapping. Raises `YamlProblem`."""
    if not text.strip():
        raise YamlProblem("file is empty", "the file must hold a YAML mapping (key: value lines)")
    loader = StrictLoader(text)
    try:
        data = loader.get_single_data()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _pos(mark)
        problem = exc.problem or "not valid YAML"
        hint = "check the indentation and quoting around this position"
        if "could not determine a constructor" in str(problem) or "tag" in str(problem):
            hint = "custom YAML tags (!!python/..., !tag) are not allowed; remove the tag"
        elif "\\t" in str(problem) or "tab" in str(problem) or _char_at(text, line, column) == "\t":
            hint = "YAML does not allow tab characters for indentation; use spaces"
        raise YamlProblem(f"YAML syntax: {problem}", hint, line, column) from None
    except yaml.reader.ReaderError as exc:  # a control character (terminal escapes, ...)
        before = text[: exc.position]
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
            data = handle.read(limit + 1)  # a file still growing cannot exceed the limit
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
    text = _decode(data, limit=limit)
    return text, parse_yaml_text(text)


# --------------------------------------------------------------------------- locations


@dataclass
class Locator:
    """Finds the line and column of a path such as ('criteria', 2, 'weight') in a document."""

    text: str
    _root: yaml.Node | None = None
    _composed: bool = False

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
                for key_node, value_node in node.value:
                    if str(key_node.value) == str(part):
                        node = value_node
                        best = _pos(
                            key_node.start_mark if (key and last) else value_node.start_mark
                        )
                        break
                else:
                    return best
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


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
            message = f"{where}: {msg} (got {_describe(error.get('input'))})"
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

    def position(self, *loc: int | str, key: bool = False) -> tuple[int, int]:
        return self.locator.position(loc, key=key)


def load_model(
    path: Path,
    model: type[Model],
    findings: Findings,
    *,
    limit: int = MAX_HAND_EDITED_BYTES,
    display: str | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Loaded[Model] | None:
    """Load `path` as `model`; on failure add located findings and return None."""
    name = display or str(path)
    try:
        text, data = read_yaml_file(path, limit=limit)
    except YamlProblem as problem:
        findings.add(problem.finding(name))
        return None
    return validate_data(text, data, model, findings, path=path, display=name, prepare=prepare)


def validate_data(
    text: str,
    data: dict[str, Any],
    model: type[Model],
    findings: Findings,
    *,
    path: Path,
    display: str,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Loaded[Model] | None:
    locator = Locator(text)
    try:
        instance = model.model_validate(prepare(data) if prepare else data)
    except ValidationError as exc:
        findings.extend(validation_findings(exc, model, display, locator))
        return None
    except RecursionError:
        findings.error(display, "structure is nested too deeply", "flatten the file")
        return None
    return Loaded(path=path, model=instance, text=text, locator=locator)
