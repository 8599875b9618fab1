"""Chat pages: the agent console (HTML + small JSON actions its script calls), the visitor's mobile
page and the widget script itself. The visitor side talks over /ws/chat/ (kefu.chat.consumers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import Team, User
from kefu.chat import selectors, services
from kefu.chat.models import ChatFile, ChatOffer, Conversation
from kefu.core.errors import DomainError
from kefu.core.htmx import AuthedHtmxRequest
from kefu.knowledge.selectors import reply_lookup

STATIC = Path(__file__).resolve().parent / "static" / "chat"


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _error(exc: DomainError) -> JsonResponse:
    return _json({"code": exc.code, "message": str(exc.message), "fields": exc.fields}, status=exc.status)


def conversation_json(c: Conversation) -> dict[str, Any]:
    v = c.visitor
    return {
        "id": c.pk, "status": c.status, "visitor": v.label, "phone": v.phone,
        "customer": {"id": v.customer_id, "name": v.customer.name, "verified": v.customer_verified}
        if v.customer_id and v.customer else None,
        "agent": c.assignee.name if c.assignee_id and c.assignee else "", "agent_id": c.assignee_id,
        "ticket": c.ticket.number if c.ticket_id and c.ticket else "", "last_seq": c.last_seq,
        "reason": c.handover_reason, "waiting_since": c.waiting_since.isoformat() if c.waiting_since else None,
        "rating": c.rating, "resolved": c.resolved, "page": c.page_url,
        "sla": {"state": c.sla_state, "due": c.first_response_due_at.isoformat() if c.first_response_due_at else None},
    }


def offer_json(o: ChatOffer) -> dict[str, Any]:
    return {"conversation": o.conversation_id, "offer": o.pk, "visitor": o.conversation.visitor.label,
            "reason": o.reason, "due": o.due_at.isoformat() if o.due_at else None}


@login_required
@require_GET
def console(request: AuthedHtmxRequest) -> HttpResponse:
    agents = User.objects.filter(is_active=True).exclude(pk=request.user.pk).order_by("username")[:200]
    teams = Team.objects.filter(is_active=True).order_by("name")[:100]
    return render(request, "chat/console.html", {
        "nav": "chat", "agents": agents, "teams": teams, "capacity": services.chat_capacity(request.user),
        "stats": selectors.queue_stats() if request.user.is_supervising else None,
    })


@login_required
@require_GET
def console_state(request: AuthedHtmxRequest) -> HttpResponse:
    board = selectors.console_for(user=request.user)
    stats = selectors.queue_stats()
    return _json({
        "waiting": [conversation_json(c) for c in board.waiting],
        "mine": [conversation_json(c) for c in board.mine],
        "others": [conversation_json(c) for c in board.others],
        "offers": [offer_json(o) for o in selectors.offers_for(user=request.user)],
        "stats": {"waiting": stats.waiting, "active": stats.active, "bot": stats.bot,
                  "longest_wait": stats.longest_wait_seconds},
    })


@login_required
@require_GET
def suggestions(request: AuthedHtmxRequest, conversation_id: int) -> HttpResponse:
    """Knowledge for the visitor's last message: articles, canned replies and cases, best first."""
    try:
        conv = selectors.conversation_for_agent(user=request.user, conversation_id=conversation_id)
    except DomainError as exc:
        return _error(exc)
    text, hits = selectors.suggestions_for_conversation(user=request.user, conversation=conv)
    return _json({"for": text, "hits": [{"kind": h.kind, "id": h.object_id, "title": h.title,
                                         "snippet": strip_tags(h.snippet_html)[:160], "url": h.url} for h in hits]})


@login_required
@require_GET
def canned_replies(request: AuthedHtmxRequest) -> HttpResponse:
    """The compose box's `/` picker: canned replies by shortcut, title or pinyin ("/tk", "/tuikuan",
    "/退款" all find 退款办理), the ones this agent may use (kefu.knowledge.selectors.reply_lookup)."""
    rows = reply_lookup(user=request.user, typed=request.GET.get("q", "")[:64])
    return _json({"replies": [{"id": r.pk, "title": r.title, "shortcut": r.shortcut, "scenario": r.scenario,
                               "preview": r.body[:80]} for r in rows]})


def _after(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return 0


@login_required
@require_GET
def conversation_messages(request: AuthedHtmxRequest, conversation_id: int) -> HttpResponse:
    try:
        conv = selectors.conversation_for_agent(user=request.user, conversation_id=conversation_id)
    except DomainError as exc:
        return _error(exc)
    msgs = selectors.messages_after(conversation=conv, after=_after(request), internal=True)
    return _json({"conversation": conversation_json(conv), "messages": [services.message_json(m) for m in msgs]})


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


@login_required
@require_POST
def conversation_action(request: AuthedHtmxRequest, conversation_id: int, action: str) -> HttpResponse:
    data = _body(request)
    user = request.user
    try:
        selectors.conversation_for_agent(user=user, conversation_id=conversation_id)
        if action == "accept":
            conv = services.conversation_accept(actor=user, conversation_id=conversation_id)
        elif action == "canned":
            reply = data.get("reply")
            text = services.canned_fill(actor=user, conversation_id=conversation_id,
                                        reply_id=reply if isinstance(reply, int) else 0)
            return _json({"ok": True, "text": text})
        elif action == "decline":
            services.offer_decline(actor=user, conversation_id=conversation_id)
            return _json({"ok": True})
        elif action == "send":
            services.agent_send(actor=user, conversation_id=conversation_id, body=str(data.get("body", "")),
                                internal=bool(data.get("internal")), client_id=str(data.get("client_id", "")))
            conv = selectors.conversation_for_agent(user=user, conversation_id=conversation_id)
        elif action == "transfer":
            to, team = data.get("to"), data.get("team")
            services.conversation_transfer(actor=user, conversation_id=conversation_id,
                                           to_user_id=to if isinstance(to, int) else None,
                                           to_team_id=team if isinstance(team, int) else None,
                                           note=str(data.get("note", "")))
            return _json({"ok": True})
        elif action == "end":
            conv = services.conversation_end(actor=user, conversation_id=conversation_id,
                                             resolved=data.get("resolved") is True)
        elif action == "ticket":
            ticket = services.conversation_to_ticket(actor=user, conversation_id=conversation_id,
                                                     number=str(data.get("number", "")).strip())
            return _json({"ok": True, "number": ticket.number, "url": f"/tickets/{ticket.number}/"})
        else:
            return _json({"code": "not_found", "message": "unknown action", "fields": {}}, status=404)
    except DomainError as exc:
        return _error(exc)
    return _json({"ok": True, "conversation": conversation_json(conv)})


@login_required
@require_POST
def capacity(request: AuthedHtmxRequest) -> HttpResponse:
    value = _body(request).get("capacity")
    try:
        setting = services.chat_set_capacity(actor=request.user, capacity=value if isinstance(value, int) else -1)
    except DomainError as exc:
        return _error(exc)
    return _json({"capacity": setting.capacity})


@require_GET
@xframe_options_exempt
def mobile(request: HttpRequest) -> HttpResponse:
    """The visitor's full-page chat (a WeChat menu link points here)."""
    return render(request, "chat/mobile.html", {})


@require_GET
def widget_js(request: HttpRequest) -> FileResponse:
    """`<script src="https://kefu.example.com/chat/widget.js" data-title="…">` on any site."""
    response = FileResponse((STATIC / "widget.js").open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- files ---------------------------------------------------------------------------------------


def _read_upload(request: HttpRequest) -> tuple[str, bytes] | None:
    upload = request.FILES.get("file")
    if upload is None:
        return None
    # Read one byte past the limit: enough to refuse a larger file without reading all of it.
    return upload.name or "file", upload.read(settings.KEFU_CHAT_FILE_MAX_BYTES + 1)


def _no_file() -> JsonResponse:
    return _json({"code": "file_required", "message": str(_("Choose a file.")),
                  "fields": {"file": [str(_("Choose a file."))]}}, status=422)


def _serve(f: ChatFile) -> FileResponse:
    """Pictures inline (the chat shows them), everything else as a download; never sniffed, never
    run as a page (the checks refuse HTML and SVG; the CSP sandbox is a second fence)."""
    response = FileResponse(f.file.open("rb"), as_attachment=not f.is_image, filename=f.name,
                            content_type=f.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # the widget shows it on the shop's page
    return response


@csrf_exempt  # the widget posts from another site without cookies; the signed visitor token is the key
@require_POST
def visitor_upload(request: HttpRequest) -> HttpResponse:
    """The widget's paper clip: multipart `token`, `conversation`, `file` (and `client_id`)."""
    try:
        visitor = services.visitor_from_token(str(request.POST.get("token", ""))[:500])
        read = _read_upload(request)
        if read is None:
            response = _no_file()
        else:
            conv = request.POST.get("conversation", "")
            msg = services.visitor_send_file(visitor=visitor, conversation_id=int(conv) if conv.isdigit() else 0,
                                             name=read[0], content=read[1],
                                             client_id=str(request.POST.get("client_id", "")))
            response = _json({"ok": True, "message": services.message_json(msg)}, status=201)
    except DomainError as exc:
        response = _error(exc)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def visitor_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """A file of the visitor's own conversation; `t` is their signed token (the widget has no cookie)."""
    try:
        visitor = services.visitor_from_token(request.GET.get("t", "")[:500])
        return _serve(selectors.file_for_visitor(visitor=visitor, file_id=file_id))
    except DomainError as exc:
        return _error(exc)


@login_required
@require_POST
def agent_upload(request: AuthedHtmxRequest, conversation_id: int) -> HttpResponse:
    try:
        selectors.conversation_for_agent(user=request.user, conversation_id=conversation_id)
        read = _read_upload(request)
        if read is None:
            return _no_file()
        msg = services.agent_send_file(actor=request.user, conversation_id=conversation_id, name=read[0],
                                       content=read[1])
    except DomainError as exc:
        return _error(exc)
    return _json({"ok": True, "message": services.message_json(msg)}, status=201)


@login_required
@require_GET
def agent_file(request: AuthedHtmxRequest, file_id: int) -> HttpResponseBase:
    try:
        return _serve(selectors.file_for_agent(user=request.user, file_id=file_id))
    except DomainError as exc:
        return _error(exc)
