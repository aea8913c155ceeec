"""What later apps add to the call form and to the listening pages' lists of needs.

The listening line comes before the directory and the referrals in the dependency order, so it
names neither: an app registers here in its `AppConfig.ready`.

- A *call panel* (`register_call_panel`) is a block of the call form, below the needs: it is
  built from what the form holds now (`CallSituation`: who calls, where they live, the needs
  chosen, the fields typed), on every full render and on the HTMX refresh the form asks for
  when the needs or the caller change. Its fields are posted with the form, so drafts keep
  them like the others. Before the call is logged the panel may refuse what was typed
  (`clean`); once `log_contact` has run, in the same transaction, it records what the panel
  asked for (`logged`): a refusal then undoes the whole call. Its `label` names its fields in
  the page's error summary; the text of an element with `data-call-panel-status` (e.g. "3
  services found") is read out by the page's live region when the panels are built again
  (`listening/call_form.js`).
- A *need status* (`register_need_status`) is a short note drawn under each need of a list
  (the caller's open needs, the needs of a logged contact), e.g. where its referrals stand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import QueryDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from prossimo.listening.models import Contact, Need, NeedCategory
from prossimo.people.models import Person
from prossimo.territory.models import Municipality


@dataclass
class CallSituation:
    """What the call form holds now, as the panels see it."""

    user: Any
    data: QueryDict | None  # the form as posted or drafted; None for a blank form
    person: Person | None  # the caller chosen, None for an anonymous caller or a new person
    municipality: Municipality | None  # where the caller lives, if known
    categories: list[NeedCategory]  # the needs chosen, each once, in the order of the rows
    caller_number: str = ""  # E.164, when known
    errors: dict[str, list[str]] = field(default_factory=dict)  # by field name, to show

    def value(self, name: str, default: str = "") -> str:
        if self.data is None:
            return default
        return str(self.data.get(name, default) or "")

    def ticked(self, name: str) -> bool:
        return self.value(name) in ("on", "1", "true")


@dataclass(frozen=True)
class CallPanel:
    """A block of the call form registered by another app."""

    name: str
    template: str  # rendered with `panel` = what `build` returns
    #: The panel's context; None to show nothing.
    build: Callable[[CallSituation], dict[str, Any] | None]
    #: Problems with what was typed, by field name, found before anything is logged.
    clean: Callable[[CallSituation, dict[str, Any]], dict[str, list[str]]] | None = None
    #: Record what the panel asked for, once the call is logged (same transaction). A
    #: `ValidationError` (by field name) undoes the whole call.
    logged: Callable[[CallSituation, dict[str, Any], Contact], None] | None = None
    #: The visible label of one of the panel's fields, by name ("" if not the panel's), for
    #: the page's error summary.
    label: Callable[[dict[str, Any], str], str] | None = None


@dataclass
class ShownPanel:
    panel: CallPanel
    context: dict[str, Any]

    @property
    def template(self) -> str:
        return self.panel.template


class PanelRejected(Exception):
    """A panel refused to record what it was asked once the call was logged."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("call panel rejected")
        self.errors = errors


_PANELS: dict[str, CallPanel] = {}


def register_call_panel(panel: CallPanel) -> None:
    """Add a block to the call form (called in the app's `AppConfig.ready`)."""
    _PANELS[panel.name] = panel


def build_panels(situation: CallSituation) -> list[ShownPanel]:
    shown = []
    for panel in _PANELS.values():
        context = panel.build(situation)
        if context is not None:
            shown.append(ShownPanel(panel, context))
    return shown


def clean_panels(situation: CallSituation, shown: Sequence[ShownPanel]) -> dict[str, list[str]]:
    """Every panel's problems with what was typed, by field name (empty: all fine)."""
    errors: dict[str, list[str]] = {}
    for item in shown:
        if item.panel.clean is not None:
            for name, messages in item.panel.clean(situation, item.context).items():
                errors.setdefault(name, []).extend(messages)
    return errors


def field_label(shown: Sequence[ShownPanel], name: str) -> str:
    """The visible label of a panel's field, for the error summary ("" if no panel knows it)."""
    for item in shown:
        if item.panel.label is not None:
            label = item.panel.label(item.context, name)
            if label:
                return label
    return ""


def record_panels(situation: CallSituation, shown: Sequence[ShownPanel], contact: Contact) -> None:
    """Let each panel record what it was asked, inside the transaction that logged `contact`.
    Raises PanelRejected (the caller's transaction must then roll back)."""
    for item in shown:
        if item.panel.logged is None:
            continue
        try:
            item.panel.logged(situation, item.context, contact)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise PanelRejected(exc.message_dict) from exc
            raise PanelRejected({"": exc.messages}) from exc
        except PermissionDenied as exc:
            raise PanelRejected(
                {"": [_("You may not record some of what you ticked below the needs.")]}
            ) from exc
        except IntegrityError as exc:  # the same thing recorded meanwhile by someone else
            raise PanelRejected(
                {"": [_("Someone recorded the same thing meanwhile: check and try again.")]}
            ) from exc


# --- notes under the needs of a list ------------------------------------------------------

#: `(user, needs, compact) -> {need id: html}`; `compact` for lists where acting on the need
#: would leave the page (the call form): the note only says where the need stands.
NeedStatusProvider = Callable[[Any, Sequence[Need], bool], dict[Any, SafeString]]
_NEED_STATUS: dict[str, NeedStatusProvider] = {}


def register_need_status(name: str, provider: NeedStatusProvider) -> None:
    """Add a note under each need of the listening pages' lists (in `AppConfig.ready`). The
    provider reads the whole list at once: a fixed number of queries whatever its length."""
    _NEED_STATUS[name] = provider


def annotate_needs(user: Any, needs: Sequence[Need], *, compact: bool = False) -> None:
    """Give each need a `status_notes` list (HTML) from every registered provider."""
    for need in needs:
        need.status_notes = []  # type: ignore[attr-defined]
    if not needs:
        return
    for provider in _NEED_STATUS.values():
        notes = provider(user, needs, compact)
        for need in needs:
            note = notes.get(need.pk)
            if note:
                need.status_notes.append(note)  # type: ignore[attr-defined]
