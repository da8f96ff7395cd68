"""A forest plot of a Comparison as a standalone SVG document.

Standalone means usable as <img src>: the SVG namespace, a viewBox, no external reference
(no href, no font or stylesheet), and only presentation attributes, never style attributes
or <style>, so the same markup can also sit inline in a page under the service's CSP.
Proportion rows are a square with its Wilson interval; survival rows are an open circle,
carried as printed without an interval; the pooled estimate is a diamond labelled
descriptive. Everything from the data is XML-escaped.
"""

from html import escape

from api.render.labels import EN_DASH, at_time, derived_note, inferred_note, label, time_point_label
from models.comparison import Comparison, ComparisonRow, PooledEstimate

WIDTH = 960
LABEL_X = 12
PLOT_LEFT, PLOT_RIGHT = 336, 616
VALUE_X = 634
TOP = 64  # below the title and the column headings
ROW_HEIGHT = 36
LINE = 14  # height of one extra line of text in a row
TICKS = (0, 20, 40, 60, 80, 100)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, ACCENT, POOLED = "#1c2430", "#5b6573", "#d9dee5", "#1f5fa8", "#b45309"
# Characters that fit each column at its font size (system sans, about 0.6 em a character):
# text from the data is wrapped to these widths, never cut, so nothing runs over the plot.
LABEL_CHARS, DETAIL_CHARS, VALUE_CHARS, SOURCE_CHARS, NOTE_CHARS = 40, 46, 42, 46, 140


def _x(proportion: float) -> float:
    """Horizontal position of a proportion, clamped to the 0-100% axis."""
    return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * min(1.0, max(0.0, proportion)), 1)


def _pct(proportion: float) -> str:
    return f"{100 * proportion:.0f}%"


def _interval(low: float, high: float) -> str:
    return f"{100 * low:.0f}{EN_DASH}{100 * high:.0f}"


def _wrap(text: str, limit: int) -> list[str]:
    """Words into lines of at most limit characters (a longer word stands alone, whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _lines(x: float, y: float, lines: list[str], *, size: int = 12, **attributes: str) -> str:
    """One text element, a line per tspan, LINE apart: every word shown, none cut."""
    extra = "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items())
    spans = "".join(
        f'<tspan x="{x}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text x="{x}" y="{y}" font-size="{size}"{extra}>{spans}</text>'


def _text(x: float, y: float, content: str, *, limit: int, size: int = 12, **attributes: str) -> str:
    """A text element wrapped to limit characters a line."""
    return _lines(x, y, _wrap(content, limit) or [""], size=size, **attributes)


def _detail(row: ComparisonRow) -> tuple[str, str]:
    """The detail line and the facts it shows (a part with nothing to say is left out, and so is its fact)."""
    shown = [
        (label(row.subgroup), "subgroup"),
        (time_point_label(row.time_point) or "no time point", "time_point"),
        (row.response_definition, "response_definition"),
        (f"{row.denominator_basis.value.replace('_', ' ')} denominator", "denominator_basis"),
    ]
    return " · ".join(text for text, _ in shown if text), " ".join(fact for text, fact in shown if text)


def _status(row: ComparisonRow) -> tuple[str, list[str], list[str]]:
    """The status line's words, the facts it shows, and what a reader sees on hover (why a value is not printed)."""
    marks: list[str] = []
    facts: list[str] = []
    hover: list[str] = []
    if row.inferred:
        marks.append("inferred: " + ", ".join(i.field.replace("_", " ") for i in row.inferred))
        facts.append("inferred")
        hover.append(inferred_note(row.inferred))
    if row.derived:
        marks.append("derived counts")
        facts += ["derived", "derivation"] if row.derivation else ["derived"]
        hover.append(derived_note(row.derivation))
    if row.not_pooled_reason:
        marks.append(f"not pooled: {row.not_pooled_reason}")
    elif row.pooled:
        marks.append("pooled")
    return " · ".join(marks), facts, hover


def _value(row: ComparisonRow) -> str:
    if row.ci_low is not None and row.ci_high is not None:
        counts = f"{row.events}/{row.n}{'*' if row.derived else ''} · " if row.events is not None and row.n else ""
        return f"{counts}{_pct(row.proportion)} ({_interval(row.ci_low, row.ci_high)})"
    return f"{_pct(row.proportion)} as printed, no interval"


class _RowText:
    """A row's texts, wrapped to their columns: the left beside the plot, the right after it."""

    def __init__(self, row: ComparisonRow) -> None:
        # The label is wrapped, never clipped: two rows' labels differ, so their texts do too.
        self.label = _wrap(row.label, LABEL_CHARS)
        detail, self.detail_facts = _detail(row)
        self.detail = _wrap(detail, DETAIL_CHARS)
        status, self.status_facts, self.hover = _status(row)
        self.status = _wrap(status, DETAIL_CHARS)
        self.value = _wrap(_value(row), VALUE_CHARS)
        self.source = _wrap(f"“{row.printed}” · {row.source_id}, {row.locator}", SOURCE_CHARS)

    @property
    def height(self) -> float:
        left = len(self.label) + len(self.detail) + len(self.status)
        right = len(self.value) + len(self.source)
        return ROW_HEIGHT + LINE * (max(left, right) - 2)


def _row_height(row: ComparisonRow) -> float:
    return _RowText(row).height


def _status_text(text: _RowText, y: float) -> str:
    """The status lines, with the reasons for any inferred or derived value in a <title> (shown on hover)."""
    if not text.status:
        return ""
    marked = f' data-fact="{" ".join(text.status_facts)}"' if text.status_facts else ""
    title = f"<title>{escape(' '.join(text.hover))}</title>" if text.hover else ""
    lines = _lines(LABEL_X, y, text.status, size=11, fill=POOLED, data_role="status")
    return lines.replace('data-role="status">', f'data-role="status"{marked}>{title}', 1)


def _row(row: ComparisonRow, y: float) -> str:
    text = _RowText(row)
    middle = y + 8 + LINE * len(text.label) / 2
    first = y + 15
    parts = [
        f'<g data-outcome-id="{escape(row.outcome_id)}" data-study-id="{escape(row.study_id)}" '
        f'data-in-pool="{"true" if row.pooled else "false"}" data-derived="{"true" if row.derived else "false"}">',
        _lines(LABEL_X, first, text.label, font_weight="600", fill=INK, data_role="label", data_fact="arm_label"),
        _lines(
            LABEL_X,
            first + LINE * len(text.label),
            text.detail,
            size=11,
            fill=MUTED,
            data_role="detail",
            data_fact=text.detail_facts,
        ),
    ]
    fill = ACCENT if row.pooled or row.interval_method is None else "#ffffff"
    if row.ci_low is not None and row.ci_high is not None:
        parts.append(
            f'<line x1="{_x(row.ci_low)}" y1="{middle}" x2="{_x(row.ci_high)}" y2="{middle}" '
            f'stroke="{ACCENT}" stroke-width="2"/>'
        )
        x = _x(row.proportion)
        # A filled square is pooled; an open one is shown but not pooled.
        parts.append(
            f'<rect x="{x - 5}" y="{middle - 5}" width="10" height="10" fill="{fill}" stroke="{ACCENT}" '
            'stroke-width="2"/>'
        )
    else:
        # Survival figures: the printed point, no interval invented.
        parts.append(
            f'<circle cx="{_x(row.proportion)}" cy="{middle}" r="5" fill="#ffffff" stroke="{ACCENT}" stroke-width="2"/>'
        )
    parts.append(_lines(VALUE_X, first, text.value, fill=INK, data_role="value"))
    source_top = first + LINE * len(text.value)
    parts.append(
        _lines(
            VALUE_X,
            source_top,
            text.source,
            size=11,
            fill=MUTED,
            data_role="source",
            data_fact="printed source_id locator",
        )
    )
    parts.append(_status_text(text, first + LINE * (len(text.label) + len(text.detail))))
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
            _text(LABEL_X, y + 15, "Pooled estimate (descriptive)", limit=LABEL_CHARS, font_weight="600", fill=POOLED),
            _text(LABEL_X, y + 29, f"random effects, k = {pooled.k}", limit=DETAIL_CHARS, size=11, fill=MUTED),
            f'<polygon points="{points}" fill="{POOLED}"/>',
            _text(
                VALUE_X,
                y + 15,
                f"{_pct(pooled.proportion)} ({_interval(pooled.ci_low, pooled.ci_high)}), descriptive",
                limit=VALUE_CHARS,
                fill=INK,
            ),
            _text(VALUE_X, y + 29, f"I² = {pooled.i_squared:.0f}%", limit=VALUE_CHARS, size=11, fill=MUTED),
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


def _pack(items: list[str], limit: int) -> list[str]:
    """Whole items into lines of at most limit characters, three spaces apart."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= limit:
            lines[-1] += "   " + item
        else:
            lines.append(item)
    return lines


def _axis_title(rows: list[ComparisonRow]) -> str:
    """What the axis carries: intervals only where the rows have them (survival figures have none)."""
    with_interval = [row.ci_low is not None for row in rows]
    if with_interval and not any(with_interval):
        return "Proportion as printed (no interval)"
    if all(with_interval):
        return "Proportion (Wilson 95% interval)"
    return "Proportion (Wilson 95% interval where drawn)"


def render_forest_plot(comparison: Comparison) -> str:
    """The comparison as a standalone SVG document (image/svg+xml)."""
    title = label(comparison.measure)
    if comparison.time_point:
        title += at_time(comparison.time_point)
    body: list[str] = []
    y: float = TOP
    for row in comparison.rows:
        body.append(_row(row, y))
        y += _row_height(row)
    if not comparison.rows:
        body.append(_text(LABEL_X, y + 20, "No usable figures match this query.", limit=80, size=13, fill=MUTED))
        y += ROW_HEIGHT
    if comparison.pooled is not None:
        body.append(_pooled(comparison.pooled, y))
        y += ROW_HEIGHT
    bottom = y + 4
    legend = [
        ("■ proportion with Wilson 95% interval", any(r.ci_low is not None for r in comparison.rows)),
        ("□ shown, not pooled", any(r.ci_low is not None and not r.pooled for r in comparison.rows)),
        ("○ survival figure as printed, no interval", any(r.ci_low is None for r in comparison.rows)),
        ("* counts derived by curators", any(r.derived for r in comparison.rows)),
        ("◆ pooled, descriptive", comparison.pooled is not None),
    ]
    notes = _pack([text for text, shown in legend if shown], NOTE_CHARS)
    if comparison.pooled is not None:
        notes += _wrap(comparison.pooled.label, NOTE_CHARS)
        pooled = comparison.pooled
        notes += _wrap(
            f"Pooled: figures{at_time(pooled.time_point)} with a "
            f"{(pooled.denominator_basis.value if pooled.denominator_basis else 'not stated').replace('_', ' ')} "
            "denominator, one row per independent population.",
            NOTE_CHARS,
        )
    if comparison.pooled is None and comparison.pooled_note:
        notes += _wrap(f"No pooled estimate: {comparison.pooled_note}.", NOTE_CHARS)
    if comparison.excluded:
        count = len(comparison.excluded)
        notes.append(f"{count} matching figure{'s' if count != 1 else ''} left out of the plot:")
        for excluded in comparison.excluded:
            notes += _wrap(f"- {excluded.outcome_id} (“{excluded.printed}”): {excluded.reason}", NOTE_CHARS)
    notes.append(f"T-ALL Evidence API · dataset {comparison.dataset_version}")
    notes_top = bottom + 40
    height = notes_top + LINE * len(notes)
    note_elements = [_lines(LABEL_X, notes_top, notes, size=11, fill=MUTED, data_role="notes")]
    description = f"Forest plot of {title}: {len(comparison.rows)} rows" + (
        f", pooled {_pct(comparison.pooled.proportion)} (descriptive)" if comparison.pooled else ""
    )
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" font-family="{escape(FONT)}">',
            f"<title>{escape(description)}</title>",
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            _text(LABEL_X, 22, f"{title} across studies", limit=90, size=15, font_weight="700", fill=INK),
            _text(LABEL_X, TOP - 10, "Study and arm", limit=40, size=11, fill=MUTED),
            f'<text x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{TOP - 10}" font-size="11" text-anchor="middle" '
            f'fill="{MUTED}" data-role="axis-title">{_axis_title(comparison.rows)}</text>',
            _text(VALUE_X, TOP - 10, "Estimate · as printed, source", limit=60, size=11, fill=MUTED),
            _axis(bottom),
            *body,
            *note_elements,
            "</svg>",
        ]
    )
