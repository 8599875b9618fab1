"""Dispatch pages: the team lead's board, rules and modes with the "test this rule" box, and the
dispatch panel of the ticket page (a partial the ticket page loads with hx-get)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError, NotFound
from kefu.core.htmx import (
    FORM_ERROR_STATUS,
    AuthedHtmxRequest,
    add_domain_error,
    render_region,
    toast,
    with_events,
)
from kefu.dispatch.access import access_board, boards_of, may_configure, may_lead
from kefu.dispatch.forms import PreviewForm, SuggestionForm, TeamModeForm
from kefu.dispatch.selectors import (
    board_for,
    decisions_for_ticket,
    dispatch_preview,
    dispatch_state_for_ticket,
    rules_overview,
)
from kefu.dispatch.services import (
    category_suggestion_accept,
    category_suggestion_dismiss,
    dispatch_team_queue,
    team_set_assignment_mode,
)

BOARD_REGIONS = ("dispatch-board",)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def index(request: AuthedHtmxRequest) -> HttpResponse:
    """The team lead's board: queue, agents with presence and load, flagged tickets."""
    try:
        team = access_board(user=request.user, team_id=_int(request.GET.get("team")))
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    context = {"nav": "dispatch", "board": board_for(team=team), "teams": boards_of(request.user),
               "may_configure": may_configure(request.user)}
    return render_region(request, "dispatch/dispatch_board.html", context, regions=BOARD_REGIONS)


@login_required
@require_POST
def drain(request: AuthedHtmxRequest, team_id: int) -> HttpResponse:
    try:
        team = access_board(user=request.user, team_id=team_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    decisions = dispatch_team_queue(team)
    if request.htmx:
        context = {"nav": "dispatch", "board": board_for(team=team), "teams": boards_of(request.user)}
        response = render_region(request, "dispatch/dispatch_board.html", context, region="dispatch-board")
        return with_events(response, kefuToast=toast(_("%(n)s tickets handed out.") % {"n": len(decisions)}))
    return redirect(f"{reverse('dispatch:index')}?team={team.pk}")


@login_required
def rules(request: AuthedHtmxRequest) -> HttpResponse:
    """Rules in order, team assignment modes, and the "test this rule" box."""
    if not may_lead(request.user):
        raise PermissionDenied
    context = {"nav": "dispatch", **rules_overview(), "form": PreviewForm(), "preview": None,
               "may_configure": may_configure(request.user)}
    return render_region(request, "dispatch/dispatch_rules.html", context)


@login_required
@require_POST
def preview(request: AuthedHtmxRequest) -> HttpResponse:
    if not may_lead(request.user):
        raise PermissionDenied
    form = PreviewForm(request.POST)
    result = None
    status = 200
    if form.is_valid():
        d = form.cleaned_data
        result = dispatch_preview(text=d["text"], kind=d["kind"], channel=d["channel"], priority=d["priority"], vip=d["vip"])
    else:
        status = FORM_ERROR_STATUS
    context = {"nav": "dispatch", **rules_overview(), "form": form, "preview": result, "may_configure": may_configure(request.user)}
    return render_region(request, "dispatch/dispatch_rules.html", context, region="dispatch-preview" if request.htmx else None, status=status)


@login_required
@require_POST
def team_mode(request: AuthedHtmxRequest) -> HttpResponse:
    form = TeamModeForm(request.POST)
    if not form.is_valid():
        return redirect("dispatch:rules")
    try:
        team_set_assignment_mode(actor=request.user, team=form.cleaned_data["team"], mode=form.cleaned_data["mode"])
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        raise
    if request.htmx:
        return with_events(HttpResponse(status=204), kefuToast=toast(_("Assignment mode saved.")))
    return redirect("dispatch:rules")


@login_required
def ticket_panel(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """The ticket page's dispatch region: why this priority, grade, suggestion, who chose whom."""
    try:
        ticket, row = dispatch_state_for_ticket(user=request.user, number=number)
        _t, decisions = decisions_for_ticket(user=request.user, number=number, limit=5)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    context = {"ticket": ticket, "row": row, "decisions": decisions, "form": None}
    return render_region(request, "dispatch/_ticket_panel.html", context)


@login_required
@require_POST
def suggestion(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    form = SuggestionForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(code="invalid_action", message=_("Unknown action."))
        if form.cleaned_data["action"] == "accept":
            category_suggestion_accept(actor=request.user, number=number)
        else:
            category_suggestion_dismiss(actor=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        add_domain_error(form, exc)
        ticket, row = dispatch_state_for_ticket(user=request.user, number=number)
        _t, decisions = decisions_for_ticket(user=request.user, number=number, limit=5)
        context = {"ticket": ticket, "row": row, "decisions": decisions, "form": form}
        return render_region(request, "dispatch/_ticket_panel.html", context, status=FORM_ERROR_STATUS)
    if request.htmx:
        return with_events(HttpResponse(status=204), ticketUpdated=True)
    return redirect("tickets:detail", number=number)
