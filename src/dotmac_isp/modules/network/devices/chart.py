"""Server-rendered SVG line charts (no JavaScript): time on x, a unit-scaled value on y."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 28, 36


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    points: Sequence[tuple[datetime, float]]
    fill: bool = False


def format_bps(value: float) -> str:
    """1234567 -> '1.23 Mb/s'."""
    for unit, size in (("Tb/s", 1e12), ("Gb/s", 1e9), ("Mb/s", 1e6), ("kb/s", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.3g} b/s"


def format_pct(value: float) -> str:
    return f"{value:.0f}%"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value (axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _time_ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    span = (end - start).total_seconds()
    steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
    step = next((s for s in steps if span / s <= count), steps[-1])
    first = datetime.fromtimestamp(math.ceil(start.timestamp() / step) * step, tz=start.tzinfo)
    ticks: list[datetime] = []
    moment = first
    while moment <= end and len(ticks) < 20:
        ticks.append(moment)
        moment += timedelta(seconds=step)
    return ticks


def _time_label(moment: datetime, span: timedelta) -> str:
    if span <= timedelta(days=1):
        return moment.strftime("%H:%M")
    if span <= timedelta(days=7):
        return moment.strftime("%a %H:%M")
    return moment.strftime("%d %b")


def line_chart(series: Sequence[Series], *, title: str, start: datetime, end: datetime,
               formatter: Callable[[float], str] = format_bps, fixed_top: float | None = None,
               chart_id: str = "chart") -> Markup:
    """An SVG chart with labelled axes (UTC times, unit-scaled values) and a legend."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for s in series for _, v in s.points]
    top = fixed_top or nice_ceiling(max(values) if values else 0)
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LEFT + (moment - start).total_seconds() / span * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - max(0.0, min(value, top)) / top * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="chart" role="img" id="{escape(chart_id)}" '
             f'aria-label="{escape(title)}" data-points="{len(values)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>']
    for i in range(5):
        value = top * i / 4
        ty = y(value)
        parts.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" '
                     f'class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" '
                     f'class="tick y-tick">{escape(formatter(value))}</text>')
    for tick in _time_ticks(start, end):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{TOP + plot_h}" x2="{tx:.1f}" '
                     f'y2="{TOP + plot_h + 4}" class="axis"/>')
        parts.append(f'<text x="{tx:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
                     f'class="tick x-tick">{_time_label(tick, end - start)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
                 f'y2="{TOP + plot_h}" class="axis"/>')
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end" '
                 f'class="tick">time (UTC)</text>')
    for s in series:
        if not s.points:
            continue
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in s.points)
        if s.fill and len(s.points) > 1:
            base = f"{x(s.points[-1][0]):.1f},{TOP + plot_h} {x(s.points[0][0]):.1f},{TOP + plot_h}"
            parts.append(f'<polygon points="{coords} {base}" fill="{s.color}" '
                         f'fill-opacity="0.18" stroke="none"/>')
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{s.color}" '
                     f'stroke-width="1.6" class="series" data-series="{escape(s.name)}"/>')
    if not values:
        parts.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" '
                     f'text-anchor="middle" class="empty">No data in this range yet</text>')
    legend_x = WIDTH - RIGHT - 150 * len(series)
    for i, s in enumerate(series):
        lx = legend_x + i * 150
        last = f" {formatter(s.points[-1][1])}" if s.points else ""
        parts.append(f'<rect x="{lx}" y="7" width="12" height="12" fill="{s.color}"/>'
                     f'<text x="{lx + 16}" y="17" class="legend">{escape(s.name + last)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def downsample(points: Sequence[tuple[datetime, float]],
               limit: int = 400) -> list[tuple[datetime, float]]:
    """Keep at most `limit` points, each bucket's peak, so short bursts stay visible."""
    if len(points) <= limit:
        return list(points)
    size = math.ceil(len(points) / limit)
    return [max(points[i:i + size], key=lambda p: p[1]) for i in range(0, len(points), size)]
