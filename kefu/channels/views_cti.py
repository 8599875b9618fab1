"""HTML pages of the phone and SMS channels: the calls list, one call (the screen pop card, with
"new ticket from this call"), and the CTI and SMS account forms with the SMS gateway test."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.channels import cti, sms
from kefu.channels.access import may_manage
from kefu.channels.choices import ChannelKind
from kefu.channels.cti_selectors import call_get, calls_list, may_play_recording, pop_card, show_phone
from kefu.channels.forms_cti import CtiAccountForm, SmsAccountForm
from kefu.channels.models import ChannelAccount
from kefu.channels.models_cti import CallState
from kefu.core.errors import DomainError

Req = Any  # an authenticated HttpRequest (login_required)


@login_required
def calls(request: Req) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in CallState.values:
        state = ""
    rows = calls_list(viewer=request.user, state=state, limit=200)
    for c in rows:
        c.shown_caller = show_phone(c.caller, request.user)  # type: ignore[attr-defined]
    return render(request, "channels/calls.html", {"calls": rows, "state": state, "states": CallState.choices,
                                                  "may_manage": may_manage(request.user)})


@login_required
def call_detail(request: Req, call_pk: int) -> HttpResponse:
    call = call_get(viewer=request.user, call_pk=call_pk)
    if call is None:
        raise Http404
    card = pop_card(call=call, viewer=request.user)
    playable = bool(call.recording_url) and (may_play_recording(request.user) or call.agent_id == request.user.pk)
    return render(request, "channels/call.html", {"call": call, "card": card, "playable": playable})


@login_required
@require_POST
def call_ticket(request: Req, call_pk: int) -> HttpResponse:
    try:
        ticket = cti.call_ticket_create(actor=request.user, call_pk=call_pk, title=request.POST.get("title", ""))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
        return redirect("channels:call", call_pk=call_pk)
    return redirect("tickets:detail", number=ticket.number)


def _account(request: Req, account_id: int | None, kind: str) -> ChannelAccount | None:
    if not may_manage(request.user):
        raise Http404
    if account_id is None:
        return None
    account = ChannelAccount.objects.filter(pk=account_id, kind=kind).first()
    if account is None:
        raise Http404
    return account


def _errors(form: Any, exc: DomainError) -> None:
    form.add_error(None, str(exc.message))
    for field, errs in exc.fields.items():
        if field in form.fields:
            for e in errs:
                form.add_error(field, e)


@login_required
def cti_account_edit(request: Req, account_id: int | None = None) -> HttpResponse:
    account = _account(request, account_id, ChannelKind.CTI)
    initial = ({"name": account.name, "is_active": account.is_active, "team": account.team_id, **account.config}
               if account else None)
    form = CtiAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = cti.cti_account_save(actor=request.user, account_id=account_id, data=cti.CtiAccountInput(
                name=d["name"], secret=d["secret"] or None, team=d["team"], is_active=d["is_active"],
                vendor=d["vendor"], hotline=d["hotline"], callback_hours=d["callback_hours"]))
        except DomainError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Channel account saved."))
            return redirect("channels:cti_account_edit", account_id=saved.pk)
    return render(request, "channels/cti_account_form.html", {"form": form, "account": account})


@login_required
def sms_account_edit(request: Req, account_id: int | None = None) -> HttpResponse:
    account = _account(request, account_id, ChannelKind.SMS)
    initial = ({"name": account.name, "is_active": account.is_active, "team": account.team_id,
                "thread_window_hours": account.thread_window_hours, **account.config} if account else None)
    form = SmsAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = sms.sms_account_save(actor=request.user, account_id=account_id, data=sms.SmsAccountInput(
                name=d["name"], config=form.config(), access_key_secret=d["access_key_secret"] or None,
                webhook_secret=d["webhook_secret"] or None, team=d["team"], is_active=d["is_active"],
                thread_window_hours=d["thread_window_hours"]))
        except DomainError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Channel account saved."))
            return redirect("channels:sms_account_edit", account_id=saved.pk)
    return render(request, "channels/sms_account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def sms_account_test(request: Req, account_id: int) -> HttpResponse:
    _account(request, account_id, ChannelKind.SMS)
    ok, message = sms.sms_account_test(actor=request.user, account_id=account_id)
    (messages.success if ok else messages.error)(request, message)
    return redirect("channels:sms_account_edit", account_id=account_id)
