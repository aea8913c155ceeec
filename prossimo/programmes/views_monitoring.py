"""Programme monitoring pages: the aggregate report of a programme and its CSV export.

Nothing personal is shown or exported (counts, shares, means), so the choice of programme and
period travels in GET parameters (`programme`, `from`, `to`) and the page can be bookmarked.
Each view and each export is recorded with `audit_event` on the programme.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from prossimo.core.access import require_permission
from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, Role, roles_of
from prossimo.programmes import monitoring
from prossimo.programmes.models import Programme

DEFAULT_PROGRAMME = "telefonia-sociale"
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ReportFilterForm(forms.Form):
    """Which programme and period to report on (GET: `programme`, `from`, `to`)."""

    programme = forms.ModelChoiceField(
        label=gettext_lazy("Programme"),
        queryset=Programme.objects.filter(is_active=True).order_by("name"),
        to_field_name="code",
        empty_label=None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the period's fields are added by name.
        for name, label in (
            ("from", pgettext_lazy("start of a period", "From")),
            ("to", pgettext_lazy("end of a period", "To (included)")),
        ):
            self.fields[name] = forms.DateField(
                label=label,
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period must start before it ends."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return data


def _defaults(today: dt.date) -> dict[str, str]:
    programme = (
        Programme.objects.filter(is_active=True, code=DEFAULT_PROGRAMME).values("code").first()
        or Programme.objects.filter(is_active=True).order_by("name").values("code").first()
    )
    return {
        "programme": programme["code"] if programme else "",
        "from": (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": today.isoformat(),
    }


def _filter_form(request: HttpRequest, today: dt.date) -> ReportFilterForm:
    """The form bound to the request's parameters, defaults filling those not given."""
    data = _defaults(today)
    data.update({key: request.GET[key] for key in data if request.GET.get(key)})
    return ReportFilterForm(data)


def _scope_note(user: Any) -> str:
    roles = roles_of(user)
    if roles & monitoring.TERRITORIAL_ROLES:
        return _(
            "Figures for the people living in the municipalities your organisation serves, "
            "and for those your organisation is in charge of."
        )
    if Role.COORDINATOR in roles:
        return _("Figures for the people your organisation is in charge of.")
    return ""


def _query_string(form: ReportFilterForm) -> str:
    query = QueryDict(mutable=True)
    query["programme"] = form.cleaned_data["programme"].code
    query["from"] = form.cleaned_data["from"].isoformat()
    query["to"] = form.cleaned_data["to"].isoformat()
    return query.urlencode()


def _report(request: HttpRequest, form: ReportFilterForm) -> monitoring.ProgrammeReport:
    return monitoring.programme_report(
        request.user,
        form.cleaned_data["programme"],
        period_start=form.cleaned_data["from"],
        period_end=form.cleaned_data["to"],
        today=timezone.localdate(),
    )


def _call_rows(calls: monitoring.CallFigures) -> list[tuple[str, int, Decimal | None]]:
    """The calls table below "Planned": label, number, share of the planned calls."""
    return [
        (label, n, monitoring.percent(n, calls.planned))
        for label, n in (
            (_("Done"), calls.done),
            (_("of which on the day they were due"), calls.done_on_time),
            (_("of which later"), calls.done_late),
            (_("Not reached after every attempt"), calls.not_reached),
            (_("Not worked, due day passed"), calls.missed),
            (_("Still to do"), calls.to_do),
        )
    ]


@require_permission(Perm.STATS_VIEW)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """A programme's monitoring figures for a period: aggregates only, nothing personal."""
    form = _filter_form(request, timezone.localdate())
    context: dict[str, Any] = {"nav": "monitoring", "form": form, "report": None}
    if form.is_valid():
        result = _report(request, form)
        audit_event(
            request.user,
            "programmes.monitoring.viewed",
            obj=result.programme,
            extra={"from": result.period_start.isoformat(), "to": result.period_end.isoformat()},
        )
        biggest = max((row.in_charge for row in result.by_municipality), default=0)
        context.update(
            report=result,
            query=_query_string(form),
            scope_note=_scope_note(request.user),
            biggest_municipality=max(biggest, result.other_municipalities or 0),
            small_cell=monitoring.SMALL_CELL,
            other_label=monitoring.other_municipalities_label(),
            call_rows=_call_rows(result.calls),
        )
    return render(request, "programmes/monitoring/report.html", context)


def _cell(value: Any) -> str:
    """A CSV cell: numbers with the language's decimal separator, text defused of formulas."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal):
        return formats.number_format(value, use_l10n=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@require_permission(Perm.STATS_VIEW)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The report as CSV in long format (one figure a row), for a spreadsheet to pivot.

    Semicolon-separated, UTF-8 with a byte-order mark and the language's decimal separator
    (comma in Italian): what a spreadsheet in an Italian locale opens as it is.
    """
    form = _filter_form(request, timezone.localdate())
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a programme and a valid period."))
    result = _report(request, form)
    audit_event(
        request.user,
        "programmes.monitoring.exported",
        obj=result.programme,
        extra={"from": result.period_start.isoformat(), "to": result.period_end.isoformat()},
    )
    filename = (
        f"monitoraggio-{result.programme.code}-"
        f"{result.period_start.isoformat()}-{result.period_end.isoformat()}.csv"
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            pgettext("CSV column", "programme"),
            pgettext("CSV column", "from"),
            pgettext("CSV column", "to"),
            pgettext("CSV column", "section"),
            pgettext("CSV column", "group"),
            pgettext("CSV column", "subgroup"),
            pgettext("CSV column", "measure"),
            pgettext("CSV column", "description"),
            pgettext("CSV column", "value"),
        ]
    )
    fixed = [
        result.programme.code,
        result.period_start.isoformat(),
        result.period_end.isoformat(),
    ]
    for row in monitoring.report_rows(result):
        writer.writerow(
            [
                *fixed,
                row.section,
                _cell(row.group),
                _cell(row.subgroup),
                row.measure,
                _cell(row.label),
                _cell(row.value),
            ]
        )
    return response
