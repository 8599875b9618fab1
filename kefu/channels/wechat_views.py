"""WeChat pages and the callback endpoint.

- `/channels/wechat/<account>/callback`: what WeChat calls. GET verifies the URL (echostr), POST
  delivers a message: verified, stored and answered "success" at once (WeChat waits 5 s and retries
  3 times); the processing is a task. Forged, stale or broken callbacks get a 4xx, never a 500.
- The WeChat account form (secrets never shown again) and the phone claims agents confirm."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kefu.channels import selectors, wechat_selectors, wechat_services
from kefu.channels.access import may_manage
from kefu.channels.choices import ChannelKind
from kefu.channels.models import ChannelAccount
from kefu.channels.wechat import WechatProtocolError, verify_url
from kefu.channels.wechat_api import is_wecom
from kefu.channels.wechat_forms import WechatAccountForm
from kefu.channels.wechat_tasks import wechat_process_task, wecom_sync_task
from kefu.core.errors import DomainError

logger = logging.getLogger("kefu.channels.wechat")
Req = Any
QUERY_KEYS = ("signature", "msg_signature", "timestamp", "nonce", "echostr", "encrypt_type", "openid")
# Refusals that mean "not from WeChat" answer 403; a broken body 400.
FORBIDDEN_CODES = {"bad_signature", "stale_timestamp", "bad_timestamp", "wrong_receiver"}


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def callback(request: Req, account_id: int) -> HttpResponse:
    account = ChannelAccount.objects.filter(pk=account_id, kind=ChannelKind.WECHAT, is_active=True).first()
    if account is None:
        return _text("unknown account", 404)
    query = {k: request.GET.get(k, "")[:512] for k in QUERY_KEYS}
    if request.method == "GET":
        sec = wechat_services.account_secrets(account)
        try:
            echo = verify_url(
                query=query, token=sec["token"], encoding_aes_key=sec["aes_key"],
                receive_id=str(account.config.get("corp_id", "")), wecom=is_wecom(account),
            )
        except WechatProtocolError as exc:
            return _text(exc.code, 403 if exc.code in FORBIDDEN_CODES else 400)
        return _text(echo)
    if request.method != "POST":
        return _text("method not allowed", 405)
    # The contact and its task row commit together: one commit per callback (the 5-second rule).
    with transaction.atomic():
        try:
            received = wechat_services.callback_receive(account=account, body=request.body, query=query)
        except WechatProtocolError as exc:
            logger.info("wechat: callback refused on account %s: %s %s", account.pk, exc.code, exc)
            return _text(exc.code, 403 if exc.code in FORBIDDEN_CODES else 400)
        try:
            with transaction.atomic():
                if received.sync is not None:
                    wecom_sync_task.enqueue(account_id=account.pk, sync_token=received.sync[0], open_kfid=received.sync[1])
                elif received.created and received.contact is not None:
                    wechat_process_task.enqueue(contact_id=received.contact.pk)
        except Exception:
            # Stored as RECEIVED: the contact list can still retry it. WeChat gets its answer.
            logger.exception("wechat: could not queue the processing of a callback on account %s", account.pk)
    return _text("success")


def _guard(request: Req) -> None:
    if not may_manage(request.user):
        raise Http404


def _initial(account: ChannelAccount) -> dict[str, Any]:
    c = account.config
    return {
        "name": account.name, "is_active": account.is_active, "team": account.team_id, "platform": c.get("platform", "oa"),
        "app_id": c.get("app_id", ""), "open_kfid": c.get("open_kfid", ""), "api_base": c.get("api_base", ""),
        "thread_window_hours": account.thread_window_hours,
    }


@login_required
def account_edit(request: Req, account_id: int | None = None) -> HttpResponse:
    _guard(request)
    account = selectors.account_get(viewer=request.user, account_id=account_id) if account_id else None
    if account_id and (account is None or account.kind != ChannelKind.WECHAT):
        raise Http404
    form = WechatAccountForm(request.POST or None, initial=_initial(account) if account else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = wechat_services.WechatAccountInput(
            name=d["name"], platform=d["platform"], app_id=d["app_id"], open_kfid=d["open_kfid"], api_base=d["api_base"],
            app_secret=d["app_secret"] or None, token=d["token"] or None, aes_key=d["aes_key"] or None,
            team=d["team"], is_active=d["is_active"], thread_window_hours=d["thread_window_hours"],
        )
        try:
            saved = wechat_services.account_save(actor=request.user, data=data, account_id=account_id)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            for field, errs in exc.fields.items():
                for e in errs:
                    form.add_error(field if field in form.fields else None, e)
        else:
            messages.success(request, _("Channel account saved."))
            return redirect("channels:wechat_edit", account_id=saved.pk)
    callback_url = request.build_absolute_uri(f"/channels/wechat/{account.pk}/callback") if account else ""
    return render(request, "channels/wechat_account_form.html", {
        "form": form, "account": account, "callback_url": callback_url,
        "stored": {k: bool(v) for k, v in wechat_services.account_secrets(account).items()} if account else {},
    })


@login_required
def claims(request: Req) -> HttpResponse:
    rows = wechat_selectors.claims_pending(viewer=request.user)
    return render(request, "channels/wechat_claims.html", {"claims": rows, "may_manage": may_manage(request.user)})


@login_required
@require_POST
def claim_action(request: Req, identity_id: int, action: str) -> HttpResponse:
    if action not in ("confirm", "reject"):
        raise Http404
    try:
        identity = wechat_services.claim_decide(actor=request.user, identity_id=identity_id, confirm=action == "confirm")
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if action == "confirm":
            messages.success(request, _("Linked: %(customer)s.") % {"customer": identity.customer.name if identity.customer else "—"})
        else:
            messages.success(request, _("Claim rejected."))
    return redirect("channels:wechat_claims")
