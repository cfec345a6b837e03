"""The timeline chart: an SVG bar chart drawn on the server (no script, nothing fetched).

Each period is a link narrowing the search to it, with its numbers in a label and a tooltip;
the same numbers are given as a table by the template (the chart's text alternative).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from markupsafe import Markup, escape

WIDTH, HEIGHT = 800, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 26  # room for the axis labels
MAX_LABELS = 7  # period labels under the axis
GAP = 6  # this many empty periods in a row are drawn as one break


@dataclass
class ChartSeries:
    """One series of bars: a name people read and its count per period."""

    name: str
    counts: list[int]
    lang: str = ""  # the language of the name (for lang= and dir=)


def _label(start: str, interval: str) -> str:
    """A period's short label: 1987-03 for a month, else the day."""
    return start[:7] if interval == "month" else start


def slots(series: list[ChartSeries], n: int) -> list[tuple[int, int]]:
    """(period, 0) for each period drawn, (first period, length) for a run of at least GAP
    empty ones drawn as one break (wire copy of 1987 and papers of 2015 on one chart); the
    chart's table has the same rows."""
    empty = [not any(s.counts[i] for s in series) for i in range(n)]
    out, i = [], 0
    while i < n:
        run = 0
        while i + run < n and empty[i + run]:
            run += 1
        if run >= GAP:
            out.append((i, run))
            i += run
        else:
            out.append((i, 0))
            i += 1
    return out


def render_chart(starts: list[str], interval: str, series: list[ChartSeries],
                 link: Callable[[int], str], describe: Callable[[int], str]) -> Markup:
    """The SVG of a bar chart: ``link(i)`` is period i's address, ``describe(i)`` its words."""
    n = len(starts)
    if not n or not series:
        return Markup("")
    drawn = slots(series, n)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max(1, max(max(s.counts) for s in series))
    slot = plot_w / len(drawn)
    bar = slot * 0.8 / len(series)
    parts = [f'<svg class="chart__svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" '
             f'aria-label="Articles per {interval}" dir="ltr" '
             f'preserveAspectRatio="none" focusable="false">']
    # axis: the largest count and zero
    parts.append(f'<line class="chart__axis" x1="{LEFT}" y1="{TOP + plot_h}" '
                 f'x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>')
    parts.append(f'<text class="chart__tick" x="{LEFT - 6}" y="{TOP + 10}" '
                 f'text-anchor="end">{top:,}</text>')
    parts.append(f'<text class="chart__tick" x="{LEFT - 6}" y="{TOP + plot_h}" '
                 f'text-anchor="end">0</text>')
    step = max(1, -(-len(drawn) // MAX_LABELS))
    for k_slot, (i, gap) in enumerate(drawn):
        x0 = LEFT + k_slot * slot
        if gap:  # a long run of empty periods drawn as one break in the axis
            words = escape(f"{gap:,} {interval}s without a match, from {starts[i]}")
            parts.append(f'<g class="chart__gap"><title>{words}</title>'
                         f'<text class="chart__tick chart__gap-mark" x="{x0 + slot / 2:.2f}" '
                         f'y="{TOP + plot_h - 4}" text-anchor="middle">…</text></g>')
            continue
        words = escape(describe(i))
        parts.append(f'<a class="chart__period" href="{escape(link(i))}" aria-label="{words}">'
                     f'<title>{words}</title>'
                     f'<rect class="chart__hit" x="{x0:.2f}" y="{TOP}" width="{slot:.2f}" '
                     f'height="{plot_h}"/>')
        for k, s in enumerate(series):
            h = plot_h * s.counts[i] / top
            if s.counts[i] and h < 1:
                h = 1.0  # a period with any article shows a sliver
            x = x0 + slot * 0.1 + k * bar
            parts.append(f'<rect class="chart__bar chart__bar--{k}" x="{x:.2f}" '
                         f'y="{TOP + plot_h - h:.2f}" width="{max(bar, 0.5):.2f}" '
                         f'height="{h:.2f}"/>')
        parts.append('</a>')
        last = k_slot == len(drawn) - 1
        if k_slot % step == 0 or last and len(drawn) > 1 and k_slot % step > step // 2:
            anchor = "start" if k_slot == 0 else ("end" if last else "middle")
            parts.append(f'<text class="chart__tick" x="{x0 + slot / 2:.2f}" '
                         f'y="{HEIGHT - 8}" text-anchor="{anchor}">'
                         f'{escape(_label(starts[i], interval))}</text>')
    parts.append('</svg>')
    return Markup("".join(parts))


__all__ = ["ChartSeries", "render_chart", "slots"]
