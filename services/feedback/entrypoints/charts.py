"""Small SVG charts drawn on the server: the dashboard needs no script and no CDN for them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float]


_WIDTH, _HEIGHT = 1120, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 36, 44


def _nice_ceiling(value: float) -> float:
    """1, 2, 5 × 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _frame(title: str, categories: Sequence[str], top: float, body: list[str]) -> str:
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="{_LEFT}" y="20" class="chart-title">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = _TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{_number(value)}</text>"
        )
    slot = plot_w / max(len(categories), 1)
    for index, category in enumerate(categories):
        x = _LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor="middle" class="tick">'
            f"{escape(category)}</text>"
        )
    parts.extend(body)
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = _WIDTH - _RIGHT - 150 * len(series)
    for item in series:
        parts.append(
            f'<rect x="{x}" y="10" width="12" height="12" fill="{item.colour}"/>'
            f'<text x="{x + 18}" y="21" class="legend">{escape(item.name)}</text>'
        )
        x += 150
    return parts


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series]) -> str:
    """Grouped bars, one group per category; every bar carries its value as a tooltip."""
    top = _nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(categories), 1)
    bar = min(slot * 0.8 / max(len(series), 1), 48)
    body = _legend(series)
    for index, category in enumerate(categories):
        start = _LEFT + slot * (index + 0.5) - bar * len(series) / 2
        for offset, item in enumerate(series):
            value = item.values[index]
            height = plot_h * value / top
            x = start + offset * bar
            y = _TOP + plot_h - height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.9:.1f}" height="{height:.1f}" '
                f'fill="{item.colour}" data-series="{escape(item.name)}" '
                f'data-category="{escape(category)}" data-value="{_number(value)}">'
                f"<title>{escape(category)} {escape(item.name)}: {_number(value)}</title></rect>"
            )
    return _frame(title, categories, top, body)


def line_chart(title: str, categories: Sequence[str], series: Sequence[Series]) -> str:
    """Lines with a dot and its value at every category."""
    top = _nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(categories), 1)
    body = _legend(series)
    for item in series:
        points = [
            (_LEFT + slot * (index + 0.5), _TOP + plot_h - plot_h * value / top, value)
            for index, value in enumerate(item.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{item.colour}" stroke-width="2.5"/>'
        )
        for (x, y, value), category in zip(points, categories, strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{item.colour}" '
                f'data-series="{escape(item.name)}" data-category="{escape(category)}" '
                f'data-value="{_number(value)}"><title>{escape(category)} {escape(item.name)}: '
                f"{_number(value)}</title></circle>"
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" class="point">'
                f"{_number(value)}</text>"
            )
    return _frame(title, categories, top, body)
