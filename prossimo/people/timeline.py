"""Sections that later apps add to a person's page (the listening line's history, …).

The people app must not import the apps built on it; they register here instead, from their
`AppConfig.ready()`. A section is a template and a function `(user, person) -> dict | None`
giving its context (None: nothing to show this user). Actions are buttons for the page's
action bar, registered the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ContextFunction = Callable[[Any, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    name: str
    template_name: str
    context_function: ContextFunction


_sections: dict[str, Section] = {}
_actions: dict[str, Section] = {}


def register_section(name: str, template_name: str, context_function: ContextFunction) -> None:
    """Show `template_name` on every person's page, with `section` = the function's result.

    Registering the same name again replaces the section (apps' `ready()` may run twice).
    """
    _sections[name] = Section(name, template_name, context_function)


def register_action(name: str, template_name: str, context_function: ContextFunction) -> None:
    """Show a button (`template_name`, with `action` = the function's result) in the bar at
    the top of every person's page."""
    _actions[name] = Section(name, template_name, context_function)


def _render(registry: dict[str, Section], user: Any, person: Any) -> list[dict[str, Any]]:
    shown = []
    for section in registry.values():
        context = section.context_function(user, person)
        if context is not None:
            shown.append(
                {"name": section.name, "template_name": section.template_name, "context": context}
            )
    return shown


def sections_for(user: Any, person: Any) -> list[dict[str, Any]]:
    """The registered sections this user sees on this person's page, in registration order."""
    return _render(_sections, user, person)


def actions_for(user: Any, person: Any) -> list[dict[str, Any]]:
    """The registered action buttons this user sees on this person's page."""
    return _render(_actions, user, person)
