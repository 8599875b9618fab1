"""AI triage pages: the models' figures and policy (team leads read, managers change and train),
and the ticket page's suggestion panel with one-click accept (a partial loaded after the page)."""

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
from kefu.triage.access import may_manage, may_see_models
from kefu.triage.choices import Field
from kefu.triage.forms import PolicyForm, SuggestionForm, TryForm
from kefu.triage.selectors import (
    active_model,
    board_suggestions,
    feedback_counts,
    model_figures,
    models_overview,
    policy_map,
    predict_text,
    suggestions_for_ticket,
)
from kefu.triage.services import policy_set, suggestion_accept, suggestion_dismiss, triage_train


def _index_context(request: AuthedHtmxRequest, **extra: object) -> dict[str, object]:
    models = models_overview()
    chosen = None
    wanted = request.GET.get("v")
    if wanted and wanted.isdigit():
        chosen = next((m for m in models if m.version == int(wanted)), None)
    chosen = chosen or active_model() or (models[0] if models else None)
    policies = policy_map()
    feedback = feedback_counts()
    context: dict[str, object] = {
        "nav": "triage", "models": models, "chosen": chosen, "figures": model_figures(chosen) if chosen else [],
        "policies": [
            (policies[f], PolicyForm(initial={"field": f, "mode": policies[f].mode, "threshold": policies[f].threshold}),
             feedback.get(f, {}))
            for f in Field.values
        ],
        "may_manage": may_manage(request.user), "try_form": TryForm(), "tried": None,
    }
    context.update(extra)
    return context


@login_required
def index(request: AuthedHtmxRequest) -> HttpResponse:
    """Models with both held-out scores, per-field figures of one, the policy, a try-a-text box."""
    if not may_see_models(request.user):
        raise PermissionDenied
    return render_region(request, "triage/triage_index.html", _index_context(request))


@login_required
@require_POST
def train(request: AuthedHtmxRequest) -> HttpResponse:
    if not may_manage(request.user):
        raise PermissionDenied
    try:
        row = triage_train(actor=request.user, note="page")
    except DomainError as exc:
        return render_region(request, "triage/triage_index.html", _index_context(request, train_error=exc.message),
                             status=FORM_ERROR_STATUS)
    message = _("Model v%(v)s trained and promoted.") if row.promoted else _("Model v%(v)s trained but not promoted: the active model scores better.")
    response = redirect(f"{reverse('triage:index')}?v={row.version}")
    return with_events(response, kefuToast=toast(message % {"v": row.version}))


@login_required
@require_POST
def policy(request: AuthedHtmxRequest) -> HttpResponse:
    if not may_manage(request.user):
        raise PermissionDenied
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            policy_set(actor=request.user, field=form.cleaned_data["field"], mode=form.cleaned_data["mode"],
                       threshold=form.cleaned_data["threshold"])
        except DomainError as exc:
            add_domain_error(form, exc)
    if form.errors:
        return render_region(request, "triage/triage_index.html", _index_context(request, policy_error=form),
                             status=FORM_ERROR_STATUS)
    return with_events(redirect("triage:index"), kefuToast=toast(_("Policy saved.")))


@login_required
@require_POST
def try_text(request: AuthedHtmxRequest) -> HttpResponse:
    if not may_see_models(request.user):
        raise PermissionDenied
    form = TryForm(request.POST)
    tried = None
    status = 200
    if form.is_valid():
        tried = predict_text(title=form.cleaned_data["text"]) or {"version": None, "fields": []}
    else:
        status = FORM_ERROR_STATUS
    context = _index_context(request, try_form=form, tried=tried)
    return render_region(request, "triage/triage_index.html", context, region="triage-try" if request.htmx else None, status=status)


@login_required
def ticket_panel(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """The ticket page's AI triage region: predictions, confidence, the words behind them, accept."""
    try:
        ticket, rows = suggestions_for_ticket(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render_region(request, "triage/_ticket_panel.html", {"ticket": ticket, "rows": rows, "form": None})


@login_required
def board(request: AuthedHtmxRequest) -> HttpResponse:
    """The dispatch board's AI pre-judgement part: the waiting tickets' pending suggestions, one
    click to accept (the board reloads this part on ticketUpdated)."""
    raw = request.GET.get("team", "")
    if not raw.isdigit():
        raise Http404
    rows = board_suggestions(user=request.user, team_id=int(raw))
    return render_region(request, "triage/_board.html", {"rows": rows})


@login_required
@require_POST
def suggestion(request: AuthedHtmxRequest, suggestion_id: int) -> HttpResponse:
    form = SuggestionForm(request.POST)
    number = request.POST.get("number", "")
    try:
        if not form.is_valid():
            raise DomainError(code="invalid_action", message=_("Unknown action."))
        if form.cleaned_data["action"] == "accept":
            s = suggestion_accept(actor=request.user, suggestion_id=suggestion_id)
        else:
            s = suggestion_dismiss(actor=request.user, suggestion_id=suggestion_id)
        number = s.ticket.number
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        add_domain_error(form, exc)
        try:
            ticket, rows = suggestions_for_ticket(user=request.user, number=number)
        except NotFound as exc2:
            raise Http404(str(exc2.message)) from exc2
        return render_region(request, "triage/_ticket_panel.html", {"ticket": ticket, "rows": rows, "form": form},
                             status=FORM_ERROR_STATUS)
    if request.htmx:
        return with_events(HttpResponse(status=204), ticketUpdated=True)
    return redirect("tickets:detail", number=number)
