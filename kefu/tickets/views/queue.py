"""The queue with its tabs and filters, global search, and the supervisor overview."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import DomainError
from kefu.core.htmx import AuthedHtmxRequest, render_region
from kefu.core.pagination import Page
from kefu.customers.selectors import contact_view, customer_search
from kefu.tickets.choices import Priority, TicketStatus
from kefu.tickets.forms import SCOPES, QueueFilterForm
from kefu.tickets.selectors import (
    NUMBER_RE,
    TicketFilter,
    overview_counts,
    queue_counts,
    ticket_list_visible_to,
)

PAGE_SIZE = 25
QUEUE_REGIONS = ("queue-results", "queue-more", "queue-tabs")


def _default_scope(request: AuthedHtmxRequest) -> str:
    return "all" if request.user.sees_all_tickets and not request.user.team_id else "mine"


def _tabs(request: AuthedHtmxRequest) -> list[dict[str, Any]]:
    counts = queue_counts(user=request.user)
    tabs = [
        {"scope": "mine", "label": _("Mine"), "count": counts["mine"]},
        {"scope": "team", "label": _("Team queue"), "count": counts["team"]},
        {"scope": "owned_elsewhere", "label": _("Owned, handled by others"), "count": counts["owned_elsewhere"]},
        {"scope": "unassigned", "label": _("Unassigned"), "count": counts["unassigned"]},
    ]
    if request.user.sees_all_tickets:
        tabs.append({"scope": "all", "label": _("All tickets"), "count": None})
    return tabs


def _filter_from(data: dict[str, Any], scope: str) -> TicketFilter:
    status = data.get("status") or ""
    team, assignee = data.get("team"), data.get("assignee")
    return TicketFilter(
        scope=scope,
        open_only=status == "",
        status=[status] if status not in ("", "any") else [],
        priority=[data["priority"]] if data.get("priority") else [],
        kind=[data["kind"]] if data.get("kind") else [],
        channel=[data["channel"]] if data.get("channel") else [],
        team_id=team.pk if team else None,
        assignee_id=assignee.pk if assignee else None,
        q=data.get("q") or "",
        sort=data.get("sort") or "-updated_at",
    )


def _page(request: AuthedHtmxRequest, f: TicketFilter) -> Page:
    try:
        return ticket_list_visible_to(user=request.user, f=f, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except DomainError:  # a mangled cursor starts again at the top rather than failing
        return ticket_list_visible_to(user=request.user, f=f, limit=PAGE_SIZE)


@login_required
def queue(request: AuthedHtmxRequest) -> HttpResponse:
    """My / team / owned-elsewhere / unassigned / all tickets, filtered, keyset-paginated."""
    form = QueueFilterForm(request.GET)
    form.is_valid()  # invalid values are dropped, never an error page
    scope = form.cleaned_data.get("scope") or _default_scope(request)
    page = _page(request, _filter_from(form.cleaned_data, scope))
    partial = request.htmx.target if request.htmx and request.htmx.target in QUEUE_REGIONS else None
    context = {
        "form": form,
        "scope": scope,
        "page": page,
        "nav": scope if scope in ("mine", "team", "all") else None,
        "tabs": _tabs(request) if partial in (None, "queue-tabs") else [],
    }
    return render_region(request, "tickets/ticket_queue.html", context, regions=QUEUE_REGIONS)


@login_required
def queue_tabs(request: AuthedHtmxRequest) -> HttpResponse:
    """The tab counts alone, polled by the queue page every 20 seconds."""
    scope = request.GET.get("scope", "")
    context = {"scope": scope if scope in SCOPES else _default_scope(request), "tabs": _tabs(request)}
    return render(request, "tickets/ticket_queue.html#queue-tabs", context)


@login_required
def search(request: AuthedHtmxRequest) -> HttpResponse:
    """The header search box: a ticket number opens the ticket; a phone or a name also lists customers."""
    q = request.GET.get("q", "").strip()[:100]
    page: Page | None = None
    customers: list[Any] = []
    if q:
        page = _page(request, TicketFilter(q=q))
        if NUMBER_RE.match(q) and len(page.items) == 1 and not request.GET.get("cursor"):
            return redirect("tickets:detail", number=page.items[0].number)
        customers = [
            {"customer": c, "contacts": contact_view(customer=c, viewer=request.user)}
            for c in customer_search(viewer=request.user, q=q, limit=10)
        ]
    context = {"q": q, "search_q": q, "page": page, "customers": customers}
    return render_region(request, "tickets/ticket_search.html", context, regions=("search-more",))


@login_required
def overview(request: AuthedHtmxRequest) -> HttpResponse:
    """Open tickets by status, team and priority: what the supervisor checks first thing."""
    counts = overview_counts(user=request.user)
    queue = reverse("tickets:queue")
    by_status = [
        {"label": TicketStatus(r["status"]).label, "code": r["status"], "n": r["n"], "href": f"{queue}?scope=all&status={r['status']}"}
        for r in counts["by_status"]
    ]
    order = list(TicketStatus.values)
    by_status.sort(key=lambda r: order.index(r["code"]))
    by_team = [{"label": r["team__name"] or _("(no team)"), "n": r["n"]} for r in counts["by_team"]]
    by_priority = [
        {"label": Priority(r["priority"]).label, "code": r["priority"], "n": r["n"], "href": f"{queue}?scope=all&priority={r['priority']}"}
        for r in counts["by_priority"]
    ]
    total = sum(r["n"] for r in by_status)
    context = {
        "nav": "overview",
        "total": total,
        "sections": [
            {"title": _("By status"), "rows": by_status},
            {"title": _("By team"), "rows": by_team},
            {"title": _("By priority"), "rows": by_priority},
        ],
    }
    return render(request, "tickets/ticket_overview.html", context)
