"""A forest plot of a Comparison as a standalone SVG document.

Standalone means usable as <img src>: the SVG namespace, a viewBox, no external reference
(no href, no font or stylesheet), and only presentation attributes, never style attributes
or <style>, so the same markup can also sit inline in a page under the service's CSP.
Proportion rows are a square with its Wilson interval; survival rows are an open circle,
carried as printed without an interval; the pooled estimate is a diamond labelled
descriptive. Everything from the data is XML-escaped.
"""

from html import escape

from api.render.labels import EN_DASH, label, time_point_label
from models.comparison import Comparison, ComparisonRow, PooledEstimate

WIDTH = 960
LABEL_X = 12
PLOT_LEFT, PLOT_RIGHT = 336, 616
VALUE_X = 634
TOP = 64  # below the title and the column headings
ROW_HEIGHT = 36
TICKS = (0, 20, 40, 60, 80, 100)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, ACCENT, POOLED = "#1c2430", "#5b6573", "#d9dee5", "#1f5fa8", "#b45309"
# Characters that fit each column at its font size (system sans, about 0.6 em a character).
LABEL_CHARS, DETAIL_CHARS, VALUE_CHARS, SOURCE_CHARS, NOTE_CHARS = 40, 48, 44, 48, 140


def _x(proportion: float) -> float:
    """Horizontal position of a proportion, clamped to the 0-100% axis."""
    return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * min(1.0, max(0.0, proportion)), 1)


def _pct(proportion: float) -> str:
    return f"{100 * proportion:.0f}%"


def _interval(low: float, high: float) -> str:
    return f"{100 * low:.0f}{EN_DASH}{100 * high:.0f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(x: float, y: float, content: str, limit: int, size: int = 12, **attributes: str) -> str:
    """A text element, clipped to limit characters; a clipped one keeps the whole in its <title>."""
    extra = "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items())
    shown = _clip(content, limit)
    title = f"<title>{escape(content)}</title>" if shown != content else ""
    return f'<text x="{x}" y="{y}" font-size="{size}"{extra}>{title}{escape(shown)}</text>'


def _wrap(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _row(row: ComparisonRow, y: float) -> str:
    study = row.study_acronym or row.study_title
    detail = " · ".join(part for part in (row.arm_label, label(row.subgroup), time_point_label(row.time_point)) if part)
    middle = y + ROW_HEIGHT / 2
    parts = [
        f'<g data-outcome-id="{escape(row.outcome_id)}" data-study-id="{escape(row.study_id)}">',
        _text(LABEL_X, y + 15, study, LABEL_CHARS, font_weight="600", fill=INK),
        _text(LABEL_X, y + 29, detail, DETAIL_CHARS, size=11, fill=MUTED),
    ]
    if row.ci_low is not None and row.ci_high is not None:
        parts.append(
            f'<line x1="{_x(row.ci_low)}" y1="{middle}" x2="{_x(row.ci_high)}" y2="{middle}" '
            f'stroke="{ACCENT}" stroke-width="2"/>'
        )
        x = _x(row.proportion)
        parts.append(f'<rect x="{x - 5}" y="{middle - 5}" width="10" height="10" fill="{ACCENT}"/>')
        counts = f"{row.events}/{row.n} · " if row.events is not None and row.n is not None else ""
        value = f"{counts}{_pct(row.proportion)} ({_interval(row.ci_low, row.ci_high)})"
    else:
        # Survival figures: the printed point, no interval invented.
        parts.append(
            f'<circle cx="{_x(row.proportion)}" cy="{middle}" r="5" fill="#ffffff" stroke="{ACCENT}" stroke-width="2"/>'
        )
        value = f"{_pct(row.proportion)} as printed, no interval"
    parts.append(_text(VALUE_X, y + 15, value, VALUE_CHARS, fill=INK))
    source = f"“{row.printed}” · {row.source_id}, {row.locator}"
    parts.append(_text(VALUE_X, y + 29, source, SOURCE_CHARS, size=11, fill=MUTED))
    parts.append("</g>")
    return "".join(parts)


def _pooled(pooled: PooledEstimate, y: float) -> str:
    middle = y + ROW_HEIGHT / 2
    low, mid, high = _x(pooled.ci_low), _x(pooled.proportion), _x(pooled.ci_high)
    points = f"{low},{middle} {mid},{middle - 7} {high},{middle} {mid},{middle + 7}"
    return "".join(
        [
            '<g data-pooled="descriptive">',
            f'<line x1="{mid}" y1="{TOP}" x2="{mid}" y2="{middle}" stroke="{POOLED}" stroke-dasharray="3 3"/>',
            _text(LABEL_X, y + 15, "Pooled estimate (descriptive)", LABEL_CHARS, font_weight="600", fill=POOLED),
            _text(LABEL_X, y + 29, f"random effects, k = {pooled.k}", DETAIL_CHARS, size=11, fill=MUTED),
            f'<polygon points="{points}" fill="{POOLED}"/>',
            _text(
                VALUE_X,
                y + 15,
                f"{_pct(pooled.proportion)} ({_interval(pooled.ci_low, pooled.ci_high)}), descriptive",
                VALUE_CHARS,
                fill=INK,
            ),
            _text(VALUE_X, y + 29, f"I² = {pooled.i_squared:.0f}%", VALUE_CHARS, size=11, fill=MUTED),
            "</g>",
        ]
    )


def _axis(bottom: float) -> str:
    parts = []
    for tick in TICKS:
        x = _x(tick / 100)
        parts.append(f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{bottom}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{x}" y="{bottom + 16}" font-size="11" text-anchor="middle" fill="{MUTED}">{tick}%</text>'
        )
    parts.append(f'<line x1="{PLOT_LEFT}" y1="{bottom}" x2="{PLOT_RIGHT}" y2="{bottom}" stroke="{MUTED}"/>')
    return "".join(parts)


def render_forest_plot(comparison: Comparison) -> str:
    """The comparison as a standalone SVG document (image/svg+xml)."""
    title = label(comparison.measure)
    if comparison.time_point:
        title += f" at {time_point_label(comparison.time_point)}"
    body: list[str] = []
    y = TOP
    for row in comparison.rows:
        body.append(_row(row, y))
        y += ROW_HEIGHT
    if not comparison.rows:
        body.append(_text(LABEL_X, y + 20, "No usable figures match this query.", 80, size=13, fill=MUTED))
        y += ROW_HEIGHT
    if comparison.pooled is not None:
        body.append(_pooled(comparison.pooled, y))
        y += ROW_HEIGHT
    bottom = y + 4
    legend = [
        ("■ proportion with Wilson 95% interval", any(r.ci_low is not None for r in comparison.rows)),
        ("○ survival figure as printed, no interval", any(r.ci_low is None for r in comparison.rows)),
        ("◆ pooled, descriptive", comparison.pooled is not None),
    ]
    notes = ["   ".join(text for text, shown in legend if shown)]
    if comparison.pooled is not None:
        notes += _wrap(comparison.pooled.label, NOTE_CHARS)
    elif comparison.pooled_note:
        notes += _wrap(f"No pooled estimate: {comparison.pooled_note}.", NOTE_CHARS)
    if comparison.excluded:
        count = len(comparison.excluded)
        notes.append(f"{count} matching figure{'s' if count != 1 else ''} left out (reasons in the JSON).")
    notes.append(f"T-ALL Evidence API · dataset {comparison.dataset_version}")
    notes_top = bottom + 40
    height = notes_top + 15 * len(notes)
    note_elements = [
        _text(LABEL_X, notes_top + 15 * i, line, NOTE_CHARS + 10, size=11, fill=MUTED) for i, line in enumerate(notes)
    ]
    description = f"Forest plot of {title}: {len(comparison.rows)} rows" + (
        f", pooled {_pct(comparison.pooled.proportion)} (descriptive)" if comparison.pooled else ""
    )
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" font-family="{escape(FONT)}">',
            f"<title>{escape(description)}</title>",
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            _text(LABEL_X, 22, f"{title} across studies", 90, size=15, font_weight="700", fill=INK),
            _text(LABEL_X, TOP - 10, "Study and arm", 40, size=11, fill=MUTED),
            f'<text x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{TOP - 10}" font-size="11" text-anchor="middle" '
            f'fill="{MUTED}">Proportion (95% interval)</text>',
            _text(VALUE_X, TOP - 10, "Estimate · as printed, source", 60, size=11, fill=MUTED),
            _axis(bottom),
            *body,
            *note_elements,
            "</svg>",
        ]
    )
