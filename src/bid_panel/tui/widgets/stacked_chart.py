"""A horizontal bar chart of totals, each bar stacked by series (criteria), in the terminal.

Plain Content segments: one line per bar, an axis, and a legend. Series differ by colour
*and* by fill character, so the chart still reads without colour (NO_COLOR, print-outs).
Bar lengths are cumulative, so rounding to whole cells never makes a bar longer than its
total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from bid_panel.core.tender import number_text

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
FILLS = ("█", "▓", "▒", "░", "#", "=", "+", ":", "%", "~")
LABEL_WIDTH = 26


@dataclass(frozen=True)
class Series:
    key: str
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: dict[str, Decimal]
    """Value of each series (missing series count as 0)."""
    total: str
    """The total as the tender displays it."""
    note: str = ""
    """Shown after the total (e.g. "excluded")."""


@dataclass
class ChartData:
    series: list[Series] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    maximum: Decimal = Decimal(100)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class StackedChart(Widget):
    DEFAULT_CSS = "StackedChart { height: auto; }"

    def __init__(self, data: ChartData | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.data = data or ChartData()

    def set_data(self, data: ChartData) -> None:
        self.data = data
        self.refresh(layout=True)

    def _style(self, index: int) -> tuple[str, str]:
        return FILLS[index % len(FILLS)], PALETTE[index % len(PALETTE)]

    def lines(self, width: int) -> list[Content]:
        data = self.data
        if not data.bars:
            return [Content("Nothing to chart yet.")]
        label_width = min(LABEL_WIDTH, max(len(b.label) for b in data.bars))
        tail = max(len(f"{b.total} {b.note}".rstrip()) for b in data.bars)
        span = max(10, width - label_width - tail - 3)
        scale = Decimal(span) / data.maximum if data.maximum else Decimal(0)

        def cells(value: Decimal) -> int:
            return int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))

        out: list[Content] = []
        for bar in data.bars:
            parts: list[Content | tuple[str, str] | str] = [
                f"{_clip(bar.label, label_width):<{label_width}} "
            ]
            running = Decimal(0)
            used = 0
            for index, series in enumerate(data.series):
                value = bar.values.get(series.key, Decimal(0))
                if value <= 0:
                    continue
                running += value
                end = min(span, cells(running))
                if end > used:
                    fill, colour = self._style(index)
                    parts.append((fill * (end - used), colour))
                    used = end
            parts.append(" " * (span - used + 1))
            parts.append((bar.total, "bold"))
            if bar.note:
                parts.append((f" {bar.note}", "italic"))
            out.append(Content.assemble(*parts))
        out.append(Content(self._axis(label_width, span, data.maximum)))
        out.extend(self._legend(width))
        return out

    @staticmethod
    def _axis(label_width: int, span: int, maximum: Decimal) -> str:
        axis = [" "] * (span + 8)
        for tick in range(0, 5):
            value = maximum * tick / 4
            text = number_text(value)
            at = int((Decimal(span) * tick / 4).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            at = min(at, span + 8 - len(text))
            for offset, char in enumerate(text):
                axis[at + offset] = char
        return " " * (label_width + 1) + "".join(axis).rstrip()

    def _legend(self, width: int) -> list[Content]:
        lines: list[Content] = []
        current: list[Content | tuple[str, str] | str] = []
        used = 0
        for index, series in enumerate(self.data.series):
            fill, colour = self._style(index)
            entry = f" {series.title}"
            size = len(entry) + 4
            if current and used + size > width:
                lines.append(Content.assemble(*current))
                current, used = [], 0
            current.extend([(fill * 2, colour), entry, "  "])
            used += size
        if current:
            lines.append(Content.assemble(*current))
        return lines

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_size.width or 80))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width or 80))
