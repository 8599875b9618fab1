"""HTML pages of the channels app: accounts (mailbox form, test connection) and the "could not
process" list (retry, discard). Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.channels import selectors, services, wechat_services
from kefu.channels.access import may_manage
from kefu.channels.choices import ChannelKind, ContactStatus
from kefu.channels.forms import MailboxForm
from kefu.channels.models import ChannelAccount
from kefu.core.errors import DomainError

Req = Any  # an authenticated HttpRequest (login_required)


def _guard(request: Req) -> None:
    if not may_manage(request.user):
        raise Http404


@login_required
def accounts(request: Req) -> HttpResponse:
    _guard(request)
    rows = selectors.account_list(viewer=request.user)
    failures = selectors.contact_list(viewer=request.user, status="failures", limit=200)
    return render(request, "channels/accounts.html", {"accounts": rows, "failure_count": len(failures)})


def _initial(account: ChannelAccount) -> dict[str, Any]:
    return {
        **account.config, "name": account.name, "is_active": account.is_active, "team": account.team_id,
        "thread_window_hours": account.thread_window_hours, "rate_limit_per_hour": account.rate_limit_per_hour,
        "poll_seconds": account.poll_seconds,
    }


@login_required
def account_edit(request: Req, account_id: int | None = None) -> HttpResponse:
    _guard(request)
    account = selectors.account_get(viewer=request.user, account_id=account_id) if account_id else None
    if account_id and account is None:
        raise Http404
    if account is not None and account.kind == ChannelKind.WECHAT:
        return redirect("channels:wechat_edit", account_id=account.pk)
    form = MailboxForm(request.POST or None, initial=_initial(account) if account else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.AccountInput(
            name=d["name"], config=form.config(), secret=d["password"] or None, team=d["team"],
            is_active=d["is_active"], thread_window_hours=d["thread_window_hours"],
            rate_limit_per_hour=d["rate_limit_per_hour"], poll_seconds=d["poll_seconds"],
        )
        try:
            saved = services.account_save(actor=request.user, data=data, account_id=account_id)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            for field, errs in exc.fields.items():
                if field in form.fields:
                    for e in errs:
                        form.add_error(field, e)
        else:
            messages.success(request, _("Channel account saved."))
            return redirect("channels:account_edit", account_id=saved.pk)
    return render(request, "channels/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_test(request: Req, account_id: int) -> HttpResponse:
    _guard(request)
    try:
        wx = ChannelAccount.objects.filter(pk=account_id, kind=ChannelKind.WECHAT).exists()
        test = wechat_services.test_connection if wx else services.account_test_connection
        checks = test(actor=request.user, account_id=account_id)
    except DomainError as exc:
        checks = [services.ConnectionCheck("account", False, str(exc.message))]
    ctx = {"checks": checks, "account_id": account_id}
    if request.htmx:
        return render(request, "channels/account_form.html#channel-test-result", ctx)
    for c in checks:
        (messages.success if c.ok else messages.error)(request, c.message)
    return redirect("channels:account_edit", account_id=account_id)


@login_required
def contacts(request: Req) -> HttpResponse:
    _guard(request)
    status = request.GET.get("status") or "failures"
    if status not in ("failures", *ContactStatus.values, "all"):
        status = "failures"
    before = request.GET.get("before")
    rows = selectors.contact_list(
        viewer=request.user, status=None if status == "all" else status,
        before_id=int(before) if before and before.isdigit() and len(before) < 18 else None,
    )
    return render(request, "channels/contacts.html", {
        "contacts": rows, "status": status, "statuses": ContactStatus.choices,
        "next_before": rows[-1].pk if len(rows) == 50 else None,
    })


@login_required
def contact_detail(request: Req, contact_id: int) -> HttpResponse:
    _guard(request)
    contact = selectors.contact_get(viewer=request.user, contact_id=contact_id)
    if contact is None:
        raise Http404
    preview = bytes(contact.raw[:20000]).decode("utf-8", errors="replace")
    return render(request, "channels/contact_detail.html", {"contact": contact, "preview": preview})


@login_required
@require_POST
def contact_action(request: Req, contact_id: int, action: str) -> HttpResponse:
    _guard(request)
    try:
        if action == "retry":
            c = services.contact_retry(actor=request.user, contact_id=contact_id)
            if c.status == ContactStatus.PROCESSED:
                messages.success(request, _("Processed: ticket %(number)s.") % {"number": c.ticket.number if c.ticket else "—"})
            else:
                messages.error(request, _("Still not processed: %(error)s") % {"error": c.error or c.reason})
        elif action == "discard":
            services.contact_discard(actor=request.user, contact_id=contact_id)
            messages.success(request, _("Discarded."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith("/channels/") else "channels:contacts")


@login_required
@require_POST
def delivery_retry(request: Req, delivery_id: int) -> HttpResponse:
    _guard(request)
    try:
        d = services.delivery_retry(actor=request.user, delivery_id=delivery_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("channels:accounts")
    messages.success(request, _("The reply will be sent again shortly."))
    return redirect("tickets:detail", d.ticket.number)
