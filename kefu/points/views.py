"""Pages: my points (balance, ledger, redeem), approvals for team leads, an agent's ledger, the
catalogue admin, improvement suggestions, the month's 服务之星. Every POST redirects (PRG); a
DomainError shows its (Chinese) message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse as url_reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.points import selectors, services
from kefu.points.access import (
    access_agent,
    agents_visible_to,
    is_decider,
    may_decide_for,
    may_manage_catalogue,
)
from kefu.points.config import points_settings
from kefu.points.forms import (
    AnnounceForm,
    AwardForm,
    ItemForm,
    ReasonForm,
    RedeemForm,
    SettingsForm,
    SuggestionForm,
)
from kefu.points.models import CatalogueItem
from kefu.tickets.access import tickets_visible_to


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _form_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/points/") else url_reverse(default))


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    balance, reserved = selectors.balance_of(me.pk), selectors.reserved_of(me.pk)
    context = {
        "nav": "points", "balance": balance, "reserved": reserved, "available": balance - reserved,
        "ledger": selectors.ledger_visible_to(me, agent_id=me.pk)[:100],
        "items": selectors.catalogue(), "redemptions": selectors.redemptions_visible_to(me, agent_id=me.pk)[:30],
        "redeem_form": RedeemForm(), "star": selectors.star_of_month(timezone.localdate().replace(day=1) - timedelta(days=1)),
    }
    return render(request, "points/mine.html", context)


@login_required
@require_POST
def redeem(request: HttpRequest) -> HttpResponse:
    form = RedeemForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("points:mine")
    start = form.cleaned_data["leave_start"]
    if start is not None and timezone.is_naive(start):
        start = timezone.make_aware(start)
    try:
        r = services.redemption_request(
            actor=_user(request), item_id=form.cleaned_data["item"], leave_start=start, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Redemption of %(item)s sent for approval.") % {"item": r.item.name})
    return redirect("points:mine")


@login_required
@require_POST
def redemption_cancel(request: HttpRequest, redemption_id: int) -> HttpResponse:
    try:
        services.redemption_cancel(actor=_user(request), redemption_id=redemption_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Redemption withdrawn."))
    return redirect("points:mine")


@login_required
@require_POST
def redemption_decide(request: HttpRequest, redemption_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    try:
        services.redemption_decide(
            actor=_user(request), redemption_id=redemption_id, approve=approve, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Redemption approved.") if approve else _("Redemption rejected."))
    return _back(request, "points:approvals")


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    if not is_decider(me):
        raise Http404
    agents = [a for a in agents_visible_to(me).order_by("username") if may_decide_for(me, a)]
    context = {
        "nav": "points_approvals", "redemptions": selectors.redemptions_pending_for(me),
        "awards": selectors.awards_pending_for(me), "praise": selectors.praise_candidates(me, limit=20),
        "balances": [b for b in selectors.balances_visible_to(me) if b.agent_id != me.pk],
        "award_form": AwardForm(agents=agents), "cfg": points_settings(),
    }
    return render(request, "points/approvals.html", context)


@login_required
@require_POST
def award(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    agents = [a for a in agents_visible_to(me) if may_decide_for(me, a)]
    form = AwardForm(request.POST, agents=agents)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("points:approvals")
    ticket_id = None
    number = form.cleaned_data["ticket"].strip()
    if number:
        # Only a ticket the lead may see can be linked (an unseen one answers like a missing one).
        ticket_id = tickets_visible_to(me).filter(number=number).values_list("pk", flat=True).first()
        if ticket_id is None:
            messages.error(request, _("No such ticket."))
            return redirect("points:approvals")
    try:
        made = services.points_award(
            actor=me, agent_id=form.cleaned_data["agent"], points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"], ticket_id=ticket_id,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if hasattr(made, "kind"):
            messages.success(request, _("Points awarded."))
        else:
            messages.success(request, _("Above the threshold: the award waits for another lead's approval."))
    return redirect("points:approvals")


@login_required
@require_POST
def award_decide(request: HttpRequest, award_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    try:
        services.award_decide(actor=_user(request), award_id=award_id, approve=approve, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Award approved.") if approve else _("Award rejected."))
    return redirect("points:approvals")


@login_required
@require_POST
def praise_survey(request: HttpRequest, survey_id: int) -> HttpResponse:
    try:
        e = services.praise_mark_survey(actor=_user(request), survey_id=survey_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Marked as praise: +%(points)s for %(agent)s.") % {"points": e.points, "agent": e.agent.name})
    return redirect("points:approvals")


@login_required
def agent_ledger(request: HttpRequest, agent_id: int) -> HttpResponse:
    me = _user(request)
    try:
        agent = access_agent(user=me, agent_id=agent_id)
    except DomainError:
        raise Http404 from None
    balance, reserved = selectors.balance_of(agent.pk), selectors.reserved_of(agent.pk)
    context = {
        "nav": "points_approvals", "agent": agent, "balance": balance, "reserved": reserved,
        "ledger": selectors.ledger_visible_to(me, agent_id=agent.pk)[:200], "may_reverse": may_decide_for(me, agent),
        "reason_form": ReasonForm(),
    }
    return render(request, "points/agent.html", context)


@login_required
@require_POST
def reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, "points:approvals")
    try:
        services.points_reverse(actor=_user(request), entry_id=entry_id, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Entry reversed."))
    return _back(request, "points:approvals")


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    if not may_manage_catalogue(me):
        raise Http404
    cfg = points_settings()
    initial = {f: getattr(cfg, f) for f in SettingsForm.base_fields}
    context = {
        "nav": "points_approvals", "items": selectors.catalogue(include_inactive=True), "item_form": ItemForm(),
        "settings_form": SettingsForm(initial=initial),
    }
    return render(request, "points/catalogue.html", context)


@login_required
@require_POST
def catalogue_item(request: HttpRequest, item_id: int) -> HttpResponse:
    """Create (item_id 0) or change a catalogue item."""
    form = ItemForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("points:catalogue")
    if item_id and not CatalogueItem.objects.filter(pk=item_id).exists():
        raise Http404
    try:
        services.item_save(actor=_user(request), item_id=item_id or None, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Catalogue saved."))
    return redirect("points:catalogue")


@login_required
@require_POST
def settings_save(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("points:catalogue")
    try:
        services.settings_update(actor=_user(request), **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Points rules saved."))
    return redirect("points:catalogue")


@login_required
def suggestions(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    form = SuggestionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            _form_errors(request, form)
        else:
            try:
                services.suggestion_submit(actor=me, title=form.cleaned_data["title"], body=form.cleaned_data["body"])
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Thank you: your suggestion was submitted."))
                return redirect("points:suggestions")
    rows = list(selectors.suggestions_visible_to(me, status=request.GET.get("status") or None)[:100])
    context = {
        "nav": "points", "form": form, "rows": [(s, may_decide_for(me, s.author)) for s in rows],
    }
    return render(request, "points/suggestions.html", context, status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def suggestion_decide(request: HttpRequest, suggestion_id: int, action: str) -> HttpResponse:
    me, note = _user(request), request.POST.get("note", "")
    try:
        if action == "review":
            services.suggestion_review(actor=me, suggestion_id=suggestion_id, note=note)
            messages.success(request, _("Suggestion taken into review."))
        elif action == "adopt":
            services.suggestion_adopt(actor=me, suggestion_id=suggestion_id, note=note)
            messages.success(request, _("Suggestion adopted; its author got the points."))
        elif action == "reject":
            services.suggestion_reject(actor=me, suggestion_id=suggestion_id, reason=note)
            messages.success(request, _("Suggestion not adopted."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("points:suggestions")


@login_required
def star(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    try:
        month = selectors.parse_month(request.GET.get("month"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        month = selectors.parse_month(None)
    if request.method == "POST":
        form = AnnounceForm(request.POST)
        if form.is_valid():
            try:
                services.star_announce(
                    actor=me, month=month, agent_id=form.cleaned_data["agent"], citation=form.cleaned_data["citation"]
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Service star announced."))
        return redirect(f"{url_reverse('points:star')}?month={month:%Y-%m}")
    prev = (month - timedelta(days=1)).replace(day=1)
    nxt = (month + timedelta(days=32)).replace(day=1)
    context = {
        "nav": "points_star", "month": month, "prev": prev, "next": nxt,
        "announced": selectors.star_of_month(month), "ranking": selectors.star_ranking(viewer=me, month=month)[:30],
        "recent": selectors.stars_recent(), "may_announce": may_manage_catalogue(me), "announce_form": AnnounceForm(),
        "cfg": points_settings(),
    }
    return render(request, "points/star.html", context)
