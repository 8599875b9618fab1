"""Which SLA policy applies to a ticket: ordered rules, first match wins. Pure, no ORM."""

from __future__ import annotations

from dataclasses import dataclass, field

from kefu.sla.engine import Target, TargetSpec


@dataclass(frozen=True, slots=True)
class TicketAttrs:
    kind: str
    priority: str
    channel: str
    category_path: str | None = None  # materialised path, e.g. "/1/7/"
    tier_id: int | None = None


@dataclass(frozen=True, slots=True)
class EscalationRule:
    level: int
    delay_minutes: int


@dataclass(frozen=True, slots=True)
class PolicyRule:
    id: int
    name: str
    calendar_id: int
    position: int = 100
    is_default: bool = False
    kinds: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    category_paths: tuple[str, ...] = ()
    tier_ids: frozenset[int] = frozenset()
    minutes: tuple[tuple[Target, int], ...] = ()
    warn_shares: tuple[int, ...] = (50, 80)
    pause_statuses: tuple[str, ...] = ("pending_customer",)
    escalations: tuple[EscalationRule, ...] = field(default=())

    def mismatches(self, t: TicketAttrs) -> list[str]:
        """The conditions `t` fails (empty when the policy applies). Names, not translated text."""
        failed = []
        if self.kinds and t.kind not in self.kinds:
            failed.append("kind")
        if self.priorities and t.priority not in self.priorities:
            failed.append("priority")
        if self.channels and t.channel not in self.channels:
            failed.append("channel")
        if self.category_paths and not (
            t.category_path and any(t.category_path.startswith(p) for p in self.category_paths)
        ):
            failed.append("category")
        if self.tier_ids and t.tier_id not in self.tier_ids:
            failed.append("tier")
        return failed

    def matched_conditions(self) -> list[str]:
        """The conditions this policy sets (what made it apply when it matches)."""
        names = ("kind", "priority", "channel", "category", "tier")
        values = (self.kinds, self.priorities, self.channels, self.category_paths, self.tier_ids)
        return [n for n, v in zip(names, values, strict=True) if v]

    def shares(self) -> tuple[int, ...]:
        """Warning shares in firing order (only 1–99 percent make sense)."""
        return tuple(sorted({s for s in self.warn_shares if 0 < s < 100}))

    def specs(self) -> list[TargetSpec]:
        shares = self.shares()
        delays = tuple(e.delay_minutes for e in sorted(self.escalations, key=lambda e: e.level))
        return [TargetSpec(target, minutes, shares, delays) for target, minutes in self.minutes]


def pick_policy(rules: list[PolicyRule], t: TicketAttrs) -> PolicyRule:
    """The first active rule (by position, id) that matches; the default rule matches anything and
    comes last. Raises LookupError when there is no default and nothing matches."""
    ordered = sorted(rules, key=lambda r: (r.is_default, r.position, r.id))
    for rule in ordered:
        if rule.is_default or not rule.mismatches(t):
            return rule
    raise LookupError("no SLA policy matches and there is no default policy")
