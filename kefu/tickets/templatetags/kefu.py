"""Template filters for the staff pages: choice labels from stable codes and one-line event texts."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kefu.accounts.choices import Presence
from kefu.core.masking import mask_phone
from kefu.core.nav import nav_items_for
from kefu.tickets.choices import Channel, EventKind, LinkKind, Priority, TicketKind, TicketStatus
from kefu.tickets.panels import RenderedPanel

register = template.Library()


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


@register.filter
def status_label(value: str | None) -> str:
    return _label(TicketStatus, value)


@register.filter
def priority_label(value: str | None) -> str:
    return _label(Priority, value)


@register.filter
def kind_label(value: str | None) -> str:
    return _label(TicketKind, value)


@register.filter
def channel_label(value: str | None) -> str:
    return _label(Channel, value)


@register.simple_tag
def event_detail(event: Any) -> str:
    """What changed, in one line of plain text (escaped by the template engine like any tag output)."""
    d = event.data or {}
    kind = event.kind
    if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED, EventKind.AUTO_CLOSED):
        text = f"{status_label(d.get('from'))} → {status_label(d.get('to'))}"
        return f"{text} · {d['comment']}" if d.get("comment") else text
    if kind == EventKind.PRIORITY_CHANGED:
        text = f"{priority_label(d.get('from'))} → {priority_label(d.get('to'))}"
        return f"{text} · {d['reason']}" if d.get("reason") else text
    if kind == EventKind.ASSIGNED:
        who = d.get("to_name") or d.get("to") or ""
        return f"→ {who}" + (f" ({d['team']})" if d.get("team") else "")
    if kind == EventKind.UNASSIGNED:
        return _("Returned to the team queue")
    if kind == EventKind.TRANSFERRED:
        src = " / ".join(x for x in (d.get("from_team"), d.get("from_user")) if x) or "—"
        dst = " / ".join(x for x in (d.get("to_team"), d.get("to_user")) if x) or "—"
        return _("%(src)s → %(dst)s · reason: %(reason)s") % {"src": src, "dst": dst, "reason": d.get("reason", "")}
    if kind == EventKind.CREATED:
        parts = [channel_label(d.get("channel")), priority_label(d.get("priority"))]
        if d.get("team"):
            parts.append(d["team"])
        return " · ".join(p for p in parts if p)
    if kind == EventKind.TAGS_CHANGED:
        return ", ".join(d.get("after") or []) or _("no tags")
    if kind == EventKind.FIELDS_CHANGED:
        return ", ".join(sorted((d.get("changes") or {}).keys()))
    if kind == EventKind.ATTACHMENT_ADDED:
        return str(d.get("name", ""))
    if kind == EventKind.LINKED:
        return f"{_label(LinkKind, d.get('link'))} {d.get('to', '')}"
    if kind == EventKind.MERGED:
        return f"{d.get('source', '')} {d.get('source_title', '')}"
    if kind == EventKind.MERGED_INTO:
        return str(d.get("to", ""))
    return ""


@register.simple_tag
def presence_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Presence.choices]


@register.filter
def phone_for(value: str, viewer: Any) -> str:
    """A phone number as `viewer` may see it: in full, or masked (138****1234)."""
    if not value:
        return ""
    return value if getattr(viewer, "may_see_contacts", False) else mask_phone(value)


@register.simple_tag(takes_context=True)
def app_nav(context: Any) -> list[dict[str, Any]]:
    """Main-menu entries contributed by apps: an AppConfig may define
    `nav_items = [NavItem(url_name, label, key, visible=lambda user: ...)]` (kefu.core.nav)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return nav_items_for(user) if user is not None and user.is_authenticated else []


@register.simple_tag(takes_context=True)
def render_panel(context: Any, panel: RenderedPanel) -> str:
    """Render another app's ticket-page panel (kefu.tickets.panels) with its own context on top of
    the page's (so `request`, `user`, `ticket` and `csrf_token` stay available)."""
    tpl = context.template.engine.get_template(panel.template)
    with context.push(**panel.context):
        return tpl.render(context)
