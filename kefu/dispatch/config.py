"""Compiled dispatch rules, cached per process and reloaded when DispatchConfigVersion changes."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from django.conf import settings

from kefu.core import tokens
from kefu.dispatch.models import CategoryRule, DispatchConfigVersion, RoutingRule, TriageRule
from kefu.dispatch.routing import CategoryRuleC, Conditions, RoutingRuleC, TriageRuleC


@dataclass(frozen=True)
class DispatchRules:
    token: str
    triage: tuple[TriageRuleC, ...]
    categories: tuple[CategoryRuleC, ...]
    routing: tuple[RoutingRuleC, ...]


def setting(name: str, default: int) -> int:
    """Dispatch knobs (few on purpose): KEFU_DISPATCH_<NAME> in settings, else the default."""
    return int(getattr(settings, f"KEFU_DISPATCH_{name}", default))


def repeat_complaint_days() -> int:
    return setting("REPEAT_COMPLAINT_DAYS", 30)


def sticky_days() -> int:
    return setting("STICKY_DAYS", 7)


def bounce_limit() -> int:
    return setting("BOUNCE_LIMIT", 2)


def back_office_reply_minutes() -> int:
    return setting("BACK_OFFICE_REPLY_MINUTES", 240)


def _conditions(rule: TriageRule | RoutingRule, category_paths: tuple[str, ...] = (), **extra: object) -> Conditions:
    return Conditions(
        keywords=tuple(str(k).strip() for k in rule.keywords if str(k).strip()),
        kinds=frozenset(rule.match_kinds),
        channels=frozenset(rule.match_channels),
        priorities=frozenset(rule.match_priorities),
        tier_ids=frozenset(t.pk for t in rule.match_tiers.all()),
        vip_only=rule.match_vip,
        category_paths=category_paths,
        severities=frozenset(rule.match_severities),
        **extra,  # type: ignore[arg-type]
    )


def load_rules(token: str = "") -> DispatchRules:
    triage = tuple(
        TriageRuleC(
            id=r.pk, name=r.name, when=_conditions(r), set_priority=r.set_priority, set_severity=r.set_severity,
            repeat_within_days=r.repeat_within_days, repeat_min_count=r.repeat_min_count,
            notify_user_ids=tuple(u.pk for u in r.notify_users.all()),
        )
        for r in TriageRule.objects.filter(is_active=True).prefetch_related("match_tiers", "notify_users")
    )
    categories = tuple(
        CategoryRuleC(category_id=r.category_id, keywords=tuple(str(k) for k in r.keywords))
        for r in CategoryRule.objects.filter(is_active=True, category__is_active=True)
    )
    routing = tuple(
        RoutingRuleC(
            id=r.pk, name=r.name, team_id=r.team_id, skip_sticky=r.skip_sticky,
            skill_ids=frozenset(s.pk for s in r.required_skills.all()),
            when=_conditions(
                r, category_paths=tuple(c.path for c in r.match_categories.all()),
                languages=frozenset(r.match_languages),
            ),
        )
        for r in RoutingRule.objects.filter(is_active=True, team__is_active=True).prefetch_related(
            "match_tiers", "match_categories", "required_skills"
        )
    )
    return DispatchRules(token=token, triage=triage, categories=categories, routing=routing)


_lock = threading.Lock()
_cached: DispatchRules | None = None


tokens.register(
    "dispatch", f'SELECT "token" FROM "{DispatchConfigVersion._meta.db_table}" ORDER BY "id" LIMIT 1'
)


def _current_token() -> str:
    # Read with the other configuration tokens in one statement (kefu.core.tokens).
    return tokens.value("dispatch") or "initial"


def get_rules(token: str | None = None) -> DispatchRules:
    """One query while nothing changed (none when the caller read `token` already, see
    services._context); a reload after any rule edit (in any process)."""
    global _cached
    if token is None:
        token = _current_token()
    cached = _cached
    if cached is not None and cached.token == token:
        return cached
    rules = load_rules(token)
    with _lock:
        _cached = rules
    return rules


def rules_changed() -> None:
    """Call inside the transaction that edits rules: every process reloads on its next decision."""
    token = uuid.uuid4().hex
    tokens.forget()
    if not DispatchConfigVersion.objects.update(token=token):
        DispatchConfigVersion.objects.create(token=token)
