"""What complaint management adds to the ticket page (registered in ComplaintsConfig.ready()):
the joint handling task of a VIP or 重大 / 紧急 complaint, when there is one, and the closure card
(callback confirmation, or a team lead's override with a reason)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.accounts.models import User
from kefu.complaints import closure, selectors
from kefu.complaints.access import may_work
from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _panel(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    if ticket.kind != "complaint":
        return None  # no query for the other tickets
    user: User = request.user  # type: ignore[assignment]
    task = selectors.joint_task_of_ticket(user=user, ticket=ticket)
    if task is None:
        return None
    experts = (
        User.objects.filter(is_active=True)
        .exclude(role="qa")
        .exclude(username="dispatch-bot")
        .order_by("username")
        if may_work(user) and task.status == "open"
        else []
    )
    return {"joint_task": task, "experts": experts}


def _closure_panel(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    if ticket.kind != "complaint":
        return None  # no query for the other tickets
    user: User = request.user  # type: ignore[assignment]
    override = selectors.closure_override_of(ticket=ticket)
    return {
        "closure_callback": closure.confirmed_callback(ticket.pk),
        "closure_override": override,
        "closure_may_override": may_work(user) and ticket.status != "closed",
    }


def register_all() -> None:
    register_panel(
        name="complaints.closure",
        slot=Slot.SIDE,
        order=13,
        template="complaints/_closure_panel.html",
        context=_closure_panel,
        region="ticket-complaint-closure",
    )
    register_panel(
        name="complaints.joint_task",
        slot=Slot.SIDE,
        order=12,
        template="complaints/_joint_task_panel.html",
        context=_panel,
        region="ticket-joint-task",
    )
