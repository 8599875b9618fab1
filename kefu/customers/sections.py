"""What apps above customers add to the customer's page (registered from their AppConfig.ready()):
sections in the page's main column (the ticket app's ticket list) and grounds on which a viewer
who may not see every document still sees one (a ticket of theirs it is attached to).

customers imports none of those apps; they register here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from kefu.accounts.models import User
from kefu.customers.models import Customer


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    template: str
    context: Callable[[HttpRequest, Customer], dict[str, Any] | None]


@dataclass(frozen=True)
class RenderedSection:
    name: str
    template: str
    context: dict[str, Any]


_sections: dict[str, Section] = {}
_document_grounds: dict[str, Callable[[User, Customer], Q]] = {}


def register_section(
    *, name: str, order: int, template: str, context: Callable[[HttpRequest, Customer], dict[str, Any] | None]
) -> None:
    _sections[name] = Section(name=name, order=order, template=template, context=context)


def sections_for(request: HttpRequest, customer: Customer) -> list[RenderedSection]:
    out = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.name)):
        context = section.context(request, customer)
        if context is not None:
            out.append(RenderedSection(name=section.name, template=section.template, context=context))
    return out


def register_document_ground(name: str, ground: Callable[[User, Customer], Q]) -> None:
    """`ground(viewer, customer)` is a Q on CustomerDocument naming the documents `viewer` may see
    although they may not see all of the customer's documents."""
    _document_grounds[name] = ground


def document_grounds_q(viewer: User, customer: Customer) -> Q:
    q = Q(pk__in=[])
    for _name, ground in sorted(_document_grounds.items()):
        q |= ground(viewer, customer)
    return q
