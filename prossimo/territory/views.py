"""Territory pages: municipality autocomplete (for forms) and the ambiti list and editor."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import ngettext

from prossimo.core.access import require_login, require_permission
from prossimo.core.permissions import Perm
from prossimo.territory import selectors, services
from prossimo.territory.forms import AmbitoForm
from prossimo.territory.models import Ambito


@require_login
def municipality_autocomplete(request: HttpRequest) -> HttpResponse:
    """Options for a municipality field's <datalist>: a fragment HTMX swaps in.

    The text is `?q=`, or the value of whatever single field HTMX sends (it names the
    parameter after the input: `municipality`, `birth_municipality`, …).
    """
    text = request.GET.get("q") or next((str(v) for v in request.GET.values() if v), "")
    return render(
        request,
        "territory/municipality_options.html",
        {"municipalities": selectors.search_municipalities(text), "q": text},
    )


@require_permission(Perm.TERRITORY_MANAGE)
def ambiti(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "territory/ambiti.html",
        {"nav": "territory", "ambiti": selectors.ambiti_with_counts()},
    )


@require_permission(Perm.TERRITORY_MANAGE)
def ambito_create(request: HttpRequest) -> HttpResponse:
    return _edit_ambito(request, None)


@require_permission(Perm.TERRITORY_MANAGE)
def ambito_edit(request: HttpRequest, ambito_id: int) -> HttpResponse:
    ambito = selectors.access_ambito(request.user, ambito_id, for_write=True)
    return _edit_ambito(request, ambito)


def _edit_ambito(request: HttpRequest, ambito: Ambito | None) -> HttpResponse:
    """One page for both: “Show municipalities” lists a province, “Save” saves."""
    if request.method != "POST":
        form = AmbitoForm(ambito=ambito, province_id=_province_in(request.GET))
    elif request.POST.get("action") == "show":
        form = AmbitoForm.redisplay(
            request.POST, ambito=ambito, province_id=_province_in(request.POST)
        )
    else:
        form = AmbitoForm(request.POST, ambito=ambito)
        if form.is_valid():
            try:
                saved = services.save_ambito(
                    request.user,
                    ambito=ambito,
                    name=form.cleaned_data["name"],
                    code=form.cleaned_data["code"],
                    municipality_ids=form.municipality_ids,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                n = len(form.municipality_ids)
                messages.success(
                    request,
                    ngettext(
                        "Ambito “%(name)s” saved with %(n)d municipality.",
                        "Ambito “%(name)s” saved with %(n)d municipalities.",
                        n,
                    )
                    % {"name": saved.name, "n": n},
                )
                return redirect("territory:ambiti")
    return render(
        request,
        "territory/ambito_form.html",
        {"nav": "territory", "form": form, "ambito": ambito},
    )


def _province_in(data: QueryDict) -> int | None:
    raw = data.get("province", "")
    return int(raw) if raw.isdigit() else None


def _add_errors(form: AmbitoForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
