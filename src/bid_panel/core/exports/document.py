"""A small document model rendered to Markdown (tabulate) and to self-contained HTML.

The report and the assessment summaries are built once as blocks and rendered twice, so
the Markdown and the HTML of a summary say exactly the same thing. Every piece of text is
treated as user text: escaped for Markdown (a name with `*` or `|` shows as typed) and for
HTML (`<script>` in a reason is shown, never run).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tabulate import tabulate


@dataclass(frozen=True)
class Strong:
    text: str


Run = str | Strong


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]

    @classmethod
    def of(cls, *runs: Run) -> Para:
        return cls(tuple(runs))


@dataclass(frozen=True)
class Text:
    """User text of one or more paragraphs (blank lines separate them), e.g. a reason."""

    text: str
    label: str = ""


@dataclass(frozen=True)
class Notice:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label: value pairs."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()
    """left / right per column (default left)."""
    strong_rows: frozenset[int] = frozenset()
    """Row indexes shown in bold (group and total rows)."""


Block = Heading | Para | Text | Notice | Facts | Bullets | Grid


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# --------------------------------------------------------------------------- Markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)


def md_escape(text: str, *, block: bool = False) -> str:
    """Text that renders as typed: inline markup escaped and, for text that starts a
    block (a paragraph), the markers of headings, lists and quotes at each line start."""
    text = _MD_INLINE.sub(r"\\\1", text)
    if block:
        text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _md_cell(text: str) -> str:
    return md_escape(_one_line(text))


def _md_runs(runs: Sequence[Run]) -> str:
    out = []
    for run in runs:
        if isinstance(run, Strong):
            out.append(f"**{_md_cell(run.text)}**")
        else:
            out.append(md_escape(run.replace("\n", " ")))
    return "".join(out)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def to_markdown(document: Document) -> str:
    parts = [f"# {_md_cell(document.title)}"]
    for block in document.blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * (block.level + 1)} {_md_cell(block.text)}")
        elif isinstance(block, Para):
            first = block.runs[0] if block.runs else ""
            lead = md_escape(first, block=True) if isinstance(first, str) else ""
            parts.append(lead + _md_runs(block.runs[1:] if lead else block.runs))
        elif isinstance(block, Text):
            paragraphs = [md_escape(p, block=True) for p in _paragraphs(block.text)] or ["-"]
            if block.label:
                paragraphs[0] = f"**{md_escape(block.label)}:** {paragraphs[0]}"
            parts.extend(paragraphs)
        elif isinstance(block, Notice):
            lines = md_escape(block.text, block=True).splitlines()
            parts.append("\n".join(f"> {line}" for line in lines))
        elif isinstance(block, Facts):
            parts.append("\n".join(f"- **{_md_cell(k)}:** {_md_cell(v)}" for k, v in block.pairs))
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {_md_cell(i)}" for i in block.items))
        else:
            rows = [
                [
                    f"**{_md_cell(c)}**" if i in block.strong_rows and c.strip() else _md_cell(c)
                    for c in row
                ]
                for i, row in enumerate(block.rows)
            ]
            align = block.align or ("left",) * len(block.headers)
            parts.append(
                tabulate(
                    rows,
                    headers=[_md_cell(h) for h in block.headers],
                    tablefmt="pipe",
                    disable_numparse=True,
                    colalign=align,
                )
            )
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------- HTML

STYLE = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 10.5pt;
  line-height: 1.4; color: #111; background: #fff; }
body { max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 18pt 0 6pt; border-bottom: 1px solid #999; padding-bottom: 2pt; }
h3 { font-size: 11pt; margin: 12pt 0 4pt; }
h2, h3 { page-break-after: avoid; break-after: avoid; }
p { margin: 4pt 0 6pt; }
.notice { border: 1px solid #888; background: #f2f2f2; padding: 5pt 8pt; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0 10pt; font-size: 9.5pt; }
thead { display: table-header-group; }
th, td { border: 1px solid #999; padding: 3pt 5pt; vertical-align: top; text-align: left; }
th { background: #e4e8ee; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr { page-break-inside: avoid; break-inside: avoid; }
tr.strong td { font-weight: bold; background: #f6f6f6; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2pt 10pt; margin: 6pt 0; }
dt { font-weight: bold; }
dd { margin: 0; }
.label { font-weight: bold; }
@media print { body { padding: 0; } a { color: inherit; text-decoration: none; } }
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_runs(runs: Sequence[Run]) -> str:
    return "".join(
        f"<strong>{_h(r.text)}</strong>" if isinstance(r, Strong) else _h(r) for r in runs
    )


def _html_text(text: str) -> str:
    return "<br>\n".join(_h(line) for line in text.splitlines())


def to_html(document: Document) -> str:
    """A complete, self-contained page: inline CSS, no scripts, no external resources."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(_one_line(document.title))}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(_one_line(document.title))}</h1>",
    ]
    for block in document.blocks:
        if isinstance(block, Heading):
            level = min(block.level + 1, 6)
            out.append(f"<h{level}>{_h(_one_line(block.text))}</h{level}>")
        elif isinstance(block, Para):
            out.append(f"<p>{_html_runs(block.runs)}</p>")
        elif isinstance(block, Text):
            paragraphs = _paragraphs(block.text) or ["-"]
            for index, paragraph in enumerate(paragraphs):
                label = (
                    f'<span class="label">{_h(block.label)}:</span> '
                    if index == 0 and block.label
                    else ""
                )
                # One paragraph: its line breaks are soft wraps (as in Markdown).
                out.append(f"<p>{label}{_h(' '.join(paragraph.split()))}</p>")
        elif isinstance(block, Notice):
            out.append(f'<p class="notice">{_html_text(block.text)}</p>')
        elif isinstance(block, Facts):
            out.append("<dl>")
            out.extend(f"<dt>{_h(k)}</dt><dd>{_html_text(v)}</dd>" for k, v in block.pairs)
            out.append("</dl>")
        elif isinstance(block, Bullets):
            out.append("<ul>")
            out.extend(f"<li>{_h(_one_line(i))}</li>" for i in block.items)
            out.append("</ul>")
        else:
            align = block.align or ("left",) * len(block.headers)
            cls = ["" if a == "left" else ' class="num"' for a in align]
            out.append("<table>")
            out.append(
                "<thead><tr>"
                + "".join(f"<th{c}>{_h(h)}</th>" for c, h in zip(cls, block.headers, strict=True))
                + "</tr></thead>"
            )
            out.append("<tbody>")
            for index, row in enumerate(block.rows):
                row_cls = ' class="strong"' if index in block.strong_rows else ""
                cells = "".join(
                    f"<td{c}>{_html_text(v)}</td>" for c, v in zip(cls, row, strict=True)
                )
                out.append(f"<tr{row_cls}>{cells}</tr>")
            out.append("</tbody></table>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
