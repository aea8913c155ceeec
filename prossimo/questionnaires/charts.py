"""Charts of a person's scores over time: SVG drawn on the server by pygal, no JavaScript.

The SVG is shown as an image (`data:` URI): pygal's SVG carries its own `<style>` and a config
`<script>`, which the site's Content Security Policy (no inline styles or scripts) would block
if the SVG were inlined in the page, leaving an unstyled chart. As an image it keeps its styles
and can run nothing. The image has a text alternative and every chart is followed by a table
of the same data (WCAG 1.1.1, 1.3.1).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Sequence

import pygal
from django.utils import timezone
from django.utils.translation import gettext as _
from pygal.style import Style

from prossimo.questionnaires.models import Questionnaire
from prossimo.questionnaires.selectors import ScorePoint

# Bootstrap Italia's primary blue and a dark orange: both at least 3:1 against white.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#5c6f82",
    colors=("#0066cc", "#a35200"),
    font_family="'Titillium Web', Geneva, Tahoma, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    stroke_width="3",
    opacity="1",
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _local(moment: dt.datetime) -> dt.datetime:
    # pygal plots naive datetimes: use the local wall-clock time the users see.
    return timezone.localtime(moment).replace(tzinfo=None)


def score_chart_svg(questionnaire: Questionnaire, points: Sequence[ScorePoint]) -> str:
    """The SVG of the scores over time, with the positive-screen threshold as a dashed line."""
    low, high = questionnaire.score_range
    chart = pygal.DateTimeLine(
        js=[],
        style=STYLE,
        width=720,
        height=300,
        explicit_size=True,
        range=(low, high),
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        dots_size=5,
        show_x_guides=False,
        truncate_label=-1,
        x_label_rotation=0 if len(points) <= 4 else 30,
        show_minor_x_labels=False,
        x_labels_major_count=6,
        x_value_formatter=lambda d: d.strftime("%d/%m/%Y"),
        no_data_text=_("No screening yet"),
        margin=16,
        margin_right=40,
    )
    series = [(_local(p.taken_at), p.score) for p in points]
    # Label the screenings' own dates (at most six of them), not pygal's round intervals.
    chart.x_labels = sorted({moment for moment, _score in series})
    chart.add(_("Score"), series)
    threshold = questionnaire.positive_threshold
    if threshold is not None and series:
        first, last = series[0][0], series[-1][0]
        if first == last:
            # A single screening: draw the threshold across a day, so that it shows as a line.
            first, last = first - dt.timedelta(hours=12), last + dt.timedelta(hours=12)
        chart.add(
            _("Threshold of a positive screen"),
            [(first, threshold), (last, threshold)],
            show_dots=False,
            stroke_style={"width": 2, "dasharray": "8, 6"},
        )
    svg = chart.render(is_unicode=True)
    return _SCRIPT.sub("", svg)


def score_chart_data_uri(questionnaire: Questionnaire, points: Sequence[ScorePoint]) -> str:
    svg = score_chart_svg(questionnaire, points)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
