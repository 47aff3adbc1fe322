"""Charts drawn on the server as accessible SVG, inline in the page.

The geometry (scales, axes, ticks, paths, bars) is leather's (pure Python, no dependency,
MIT): it writes SVG *presentation attributes* (``fill``, ``stroke``, ``font-size``) and never
a ``style`` attribute, a ``<style>`` element or a script, so the strict CSP
(``style-src 'self'``, no inline script) holds with the SVG inline in the HTML. Inline (not
``<img src=…svg>``) because assistive technology then reads the chart's name and
description, the print stylesheet applies, and nothing needs JavaScript. This module adds
what leather does not: the role and accessible name, the Belgian number and month formats
of the reader's language, a legend that shows each line's dash pattern, and a palette
(Okabe–Ito) that colour-blind readers tell apart, doubled by dash patterns that survive a
black-and-white print.
"""
from __future__ import annotations

import functools
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

import leather
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import get_locale
from markupsafe import Markup

# Okabe & Ito's palette (colour-blind safe), darkest first; each line also gets a dash.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9")
DASHES = ("none", "8 4", "2 3", "10 3 2 3", "4 4", "1 2", "12 2")
BAR_FILL, BAR_OVERLAY = "#56B4E9", "#0072B2"
WIDTH, HEIGHT = 760, 320
FONT = "system-ui, sans-serif"

for name, value in {
    "background_color": "#ffffff", "title_font_family": FONT, "legend_font_family": FONT,
    "axis_title_font_family": FONT, "tick_font_family": FONT, "legend_color": "#222",
    "label_color": "#333", "tick_color": "#d9d9d9", "zero_color": "#555",
    "tick_font_size": 13, "tick_font_char_width": 7, "legend_font_size": 13,
    "legend_font_char_width": 7, "default_line_width": 2.5, "margin": 0.045,
}.items():
    setattr(leather.theme, name, value)


@dataclass
class Chart:
    """A figure: its name, a sentence saying what it shows, the SVG, and its data table."""

    id: str
    title: str
    summary: str
    svg: Markup | None
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def number(value) -> str:
    """A count the way the reader writes it (1 234 / 1.234 / 1,234)."""
    return "–" if value is None else _number(value, str(get_locale()))


def month_label(month: date) -> str:
    return _date(month, "MMM y", str(get_locale()))


def day_label(day: date) -> str:
    return _date(day, "medium", str(get_locale()))


def month_name(month: date) -> str:
    return _date(month, "LLLL y", str(get_locale()))


# A dashboard writes a few thousand numbers and dates, mostly the same few: each is
# formatted once per locale and process (Babel parses the pattern on every call).
@functools.lru_cache(maxsize=8192)
def _number(value, locale: str) -> str:
    return babel_numbers.format_decimal(value, format="#,##0.#", locale=locale)


@functools.lru_cache(maxsize=4096)
def _date(day: date, pattern: str, locale: str) -> str:
    return babel_dates.format_date(day, pattern, locale=locale)


def _nice_ticks(top: float) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, about five of them."""
    if top <= 0:
        return [0, 1]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(math.ceil(step)))
    return list(range(0, int(math.ceil(top / step)) * step + 1, step))


class _Exact(leather.Linear):
    """A linear scale whose ends are the domain's (leather widens them to round ticks, and
    searches for them at some cost; the ticks here are chosen by the chart)."""

    def __init__(self, domain_min, domain_max):  # noqa: D107 (no ticker: the axis has ticks)
        self._data_min, self._data_max = domain_min, max(domain_max, domain_min + 1)

    def project(self, value, range_min, range_max):
        low, high = float(self._data_min), float(self._data_max)
        return range_min + (range_max - range_min) * (float(value) - low) / (high - low)


class _PatternLine(leather.Line):
    """A line whose legend entry is a sample of the line itself (colour and dash)."""

    def legend_to_svg(self, series, palette):
        text = str(series.name)
        group = ET.Element("g")
        sample = ET.Element("line", x1="0", y1="-5", x2="26", y2="-5",
                            stroke=self._stroke_color)
        sample.set("stroke-width", "3")
        if self._stroke_dasharray != "none":
            sample.set("stroke-dasharray", self._stroke_dasharray)
        label = ET.Element("text", x="32", y="0", fill=leather.theme.legend_color)
        label.set("font-family", FONT)
        label.set("font-size", str(leather.theme.legend_font_size))
        label.text = text
        group.append(sample)
        group.append(label)
        # Wide enough for the widest letters: an entry that would pass the edge wraps.
        yield group, 32 + (len(text) + 4) * (leather.theme.legend_font_char_width + 1)


class _Points(leather.Dots):
    """The points of a line, drawn where a value stands alone (a line needs two); their
    line's legend entry names them."""

    def legend_to_svg(self, series, palette):
        return iter(())


def _svg(chart: leather.Chart, labelled_by: str, height: int = HEIGHT) -> Markup:
    root = ET.Element("svg", xmlns="http://www.w3.org/2000/svg",
                      viewBox=f"0 0 {WIDTH} {height}", role="img", focusable="false")
    root.set("aria-labelledby", labelled_by)
    root.set("class", "chart-svg")
    root.set("preserveAspectRatio", "xMinYMin meet")
    root.append(chart.to_svg_group(WIDTH, height))
    # ElementTree escapes every text and attribute it writes (labels, names, numbers).
    return Markup(ET.tostring(root, encoding="unicode"))  # noqa: S704  # nosec B704


def line_chart(chart_id: str, months: list[date], series: list[tuple[str, list]],
               weekly: bool = False, points: bool = False) -> Markup | None:
    """Lines over months (or weeks: ``weekly``); ``series``: (label, one value per month,
    None for no value). None when no series has a value (the summary says why).
    ``points``: also a dot at each value (for series with gaps)."""
    series = [(label, values) for label, values in series
              if any(v is not None for v in values)]
    top = max([v for _label, values in series for v in values if v is not None] or [0])
    if not series or not months or not top:
        return None  # nothing but zeros: the summary says so, the table shows them
    chart = leather.Chart()
    ticks = _nice_ticks(top)
    chart.set_x_scale(_Exact(0, max(1, len(months) - 1)))
    chart.set_y_scale(_Exact(0, ticks[-1]))
    every = max(1, math.ceil(len(months) / 8))
    chart.add_x_axis(ticks=list(range(0, len(months), every)),
                     tick_formatter=lambda i, *_: (day_label if weekly else month_label)(
                         months[int(i)]))
    chart.add_y_axis(ticks=ticks, tick_formatter=lambda v, *_: number(v))
    for index, (label, values) in enumerate(series):
        values_at = [(i, v) for i, v in enumerate(values)]
        shape = _PatternLine(stroke_color=PALETTE[index % len(PALETTE)],
                             stroke_dasharray=DASHES[index % len(DASHES)])
        chart.add_series(leather.Series(values_at, name=label), shape)
        if points:  # sparse series: each value also as a dot, so a lone one shows
            chart.add_series(leather.Series([p for p in values_at if p[1] is not None]),
                             _Points(fill_color=PALETTE[index % len(PALETTE)], radius=4))
    return _svg(chart, f"{chart_id}-title {chart_id}-summary")


def bar_chart(chart_id: str, items: list[tuple[str, int]],
              overlay: tuple[str, str, list[int]] | None = None) -> Markup | None:
    """Horizontal bars; ``overlay`` (name of the bars, name of the overlay, values): a darker
    bar drawn over each one (a part of it, e.g. the overdue among the open tasks)."""
    top = max([v for _label, v in items] or [0])
    if not top:
        return None  # nothing to draw: the summary says so, the table shows the zeros
    chart = leather.Chart()
    ticks = _nice_ticks(top)
    chart.set_x_scale(_Exact(0, ticks[-1]))
    chart.add_x_axis(ticks=ticks, tick_formatter=lambda v, *_: number(v))
    labels = [label for label, _v in items]
    name = overlay[0] if overlay else "-"
    chart.add_bars([(v, label) for label, v in items], name=name, fill_color=BAR_FILL)
    if overlay:
        chart.add_bars(list(zip(overlay[2], labels, strict=True)), name=overlay[1],
                       fill_color=BAR_OVERLAY)
    height = max(140, 60 + 34 * len(items))
    return _svg(chart, f"{chart_id}-title {chart_id}-summary", height)
