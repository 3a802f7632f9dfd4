"""Server-side chart geometry (inline SVG, no script, no network) and Vietnamese number formatting.

The templates draw what these functions compute: polylines or bars scaled into a fixed viewBox that CSS
stretches to the container width, axis ticks with round values, and a few date labels.
"""
import math
from dataclasses import dataclass, field

from flask_babel import gettext as _

from metrics.figures import FIGURES

NEUTRAL = ("#0b3d91", "#1b7f3b", "#b45309")
BAD = "#c8102e"
WIDTH, HEIGHT = 420, 200
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 12, 24
X_LABELS = 5


@dataclass
class Line:
    key: str
    label: str
    color: str
    values: list
    points: str = ""  # SVG polyline points
    total: int = 0


@dataclass
class Chart:
    key: str
    title: str
    periods: list  # period starts (dates)
    period_labels: list  # the same, formatted for the table
    lines: list
    granularity: str
    bars: list = field(default_factory=list)  # [(x, y, width, height, value, label)] when drawn as bars
    y_ticks: list = field(default_factory=list)  # [(y, label)]
    x_labels: list = field(default_factory=list)  # [(x, label)]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def rows(self):
        """The table fallback: (period label, [value per line])."""
        return [(label, [line.values[index] for line in self.lines]) for index, label in enumerate(self.period_labels)]


def nice_ceiling(value):
    """The smallest round number ≥ value whose half is a whole number (at least 2), so the three axis ticks
    (0, half, top) are whole counts."""
    if value <= 2:
        return 2
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = step * magnitude
        if value <= top and (top / 2).is_integer():
            return int(top)
    return 10 * magnitude


def _colour(metric, index):
    """Colours follow meaning: a line whose rise is bad (overdue, unfollows) is red, never green; the others
    take the palette's neutral colours in turn."""
    if metric in FIGURES and FIGURES[metric].higher_is_better is False:
        return BAD
    return NEUTRAL[index % len(NEUTRAL)]


def build_chart(key, title, points, lines, granularity, as_bars=False):
    """`points`: [(period, {metric: n})]; `lines`: [(metric, label)]. Bars only make sense for one line."""
    periods = [period for period, _values in points]
    chart = Chart(key=key, title=title, periods=periods, granularity=granularity,
                  period_labels=[period_label(period, granularity) for period in periods],
                  lines=[Line(metric, label, _colour(metric, index),
                              [values.get(metric, 0) for _period, values in points])
                         for index, (metric, label) in enumerate(lines)])
    top = nice_ceiling(max([max(line.values, default=0) for line in chart.lines], default=0))
    plot_width, plot_height = chart.plot_right - chart.plot_left, chart.plot_bottom - TOP
    count = max(len(periods), 1)

    def y_of(value):
        return round(chart.plot_bottom - plot_height * value / top, 1)

    if as_bars:
        slot = plot_width / count
        line = chart.lines[0]
        chart.bars = [(round(chart.plot_left + slot * index + slot * 0.15, 1), y_of(value), round(slot * 0.7, 1),
                       round(chart.plot_bottom - y_of(value), 1), value, chart.period_labels[index])
                      for index, value in enumerate(line.values)]
        centre = [chart.plot_left + slot * (index + 0.5) for index in range(count)]
    else:
        step = plot_width / (count - 1) if count > 1 else 0
        centre = [chart.plot_left + (step * index if count > 1 else plot_width / 2) for index in range(count)]
        for line in chart.lines:
            line.points = " ".join(f"{round(x, 1)},{y_of(value)}"
                                   for x, value in zip(centre, line.values, strict=False))
    for line in chart.lines:
        line.total = sum(line.values)
    chart.y_ticks = [(y_of(top * fraction), number(top * fraction)) for fraction in (0, 0.5, 1)]
    every = max(1, math.ceil(count / X_LABELS))
    chart.x_labels = [(round(centre[index], 1), axis_label(periods[index], granularity))
                      for index in range(0, len(periods), every)]
    return chart


def sparkline(values, width=120, height=28):
    """SVG polyline points for a small trend line (scaled to its own maximum), and its last point."""
    top = max(values, default=0) or 1
    count = len(values)
    step = (width - 4) / (count - 1) if count > 1 else 0
    coords = [(round(2 + step * index, 1), round(height - 2 - (height - 4) * value / top, 1))
              for index, value in enumerate(values)]
    return {"points": " ".join(f"{x},{y}" for x, y in coords), "last": coords[-1] if coords else (0, height),
            "width": width, "height": height}


def period_label(period, granularity):
    return period.strftime("%d/%m/%Y") if granularity == "day" else period.strftime("%m/%Y")


def axis_label(period, granularity):
    return period.strftime("%d/%m") if granularity == "day" else period.strftime("%m/%y")


def number(value):
    """12345 → '12.345' (Vietnamese digit grouping); 2.5 → '2,5'."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        whole, fraction = f"{value:,.1f}".split(".")
        return whole.replace(",", ".") + "," + fraction
    return f"{int(value):,}".replace(",", ".")


def percent(ratio, digits=1):
    """0.875 → '87,5 %'; None → '—'."""
    if ratio is None:
        return "—"
    return f"{ratio * 100:.{digits}f}".replace(".", ",") + " %"


def signed(value, unit=""):
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number(abs(round(value, 1)))}{unit}"


def duration(seconds):
    """A response time in words: '45 phút', '3 giờ 20 phút', '2,5 ngày'."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(n)s phút", n=max(minutes, 1) if seconds else 0)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)s giờ %(m)s phút", h=hours, m=minutes) if minutes else _("%(h)s giờ", h=hours)
    return _("%(d)s ngày", d=number(round(seconds / 86400, 1)))


def signed_duration(seconds):
    """A change of a duration: '+1 giờ 5 phút', '−20 phút', '±0 phút'."""
    if seconds is None:
        return "—"
    sign = "+" if seconds > 0 else ("−" if seconds < 0 else "±")
    return sign + duration(abs(seconds))


def hours_minutes(seconds):
    """A duration as h:mm for exports: 5400 → '1:30'; None → None."""
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"
