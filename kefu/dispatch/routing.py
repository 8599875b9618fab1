"""Pure dispatch logic: triage, category suggestion, routing and agent choice. No ORM, so every branch
is table-tested; services.py feeds it rows and writes its answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kefu.dispatch.choices import SEVERITY_RANK, PassReason, Severity

# Priority weights of the load-balanced mode: a normal ticket weighs 1 (priority_rank / 2).
PRIORITY_RANKS = {"urgent": 4, "high": 3, "normal": 2, "low": 1}
ONLINE = "online"

DEFAULT_KEYWORDS = ("12315", "消协", "媒体", "记者", "律师", "起诉", "曝光", "投诉升级", "工信部", "退款不到账")


@dataclass(frozen=True)
class Facts:
    """What rules look at, taken from a ticket (or from the "test this rule" box)."""

    text: str
    kind: str
    channel: str
    priority: str
    language: str = "zh-hans"
    tier_id: int | None = None
    is_vip: bool = False
    category_path: str = ""  # "/1/7/" of the ticket's category, "" without one
    earlier_contacts: tuple[datetime, ...] = ()  # created_at of the customer's earlier tickets
    now: datetime | None = None


@dataclass(frozen=True)
class Conditions:
    keywords: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    tier_ids: frozenset[int] = frozenset()
    vip_only: bool = False
    category_paths: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()

    def why(self, facts: Facts, severity: str = "") -> list[str] | None:
        """The reasons this matches (one per condition that holds), or None when any condition fails."""
        reasons: list[str] = []
        if self.keywords:
            hits = keyword_hits(facts.text, self.keywords)
            if not hits:
                return None
            reasons.append("keywords:" + ",".join(hits))
        checks: list[tuple[bool, bool, str]] = [
            (bool(self.kinds), facts.kind in self.kinds, f"kind:{facts.kind}"),
            (bool(self.channels), facts.channel in self.channels, f"channel:{facts.channel}"),
            (bool(self.priorities), facts.priority in self.priorities, f"priority:{facts.priority}"),
            (bool(self.tier_ids), facts.tier_id in self.tier_ids, "tier"),
            (self.vip_only, facts.is_vip, "vip"),
            (bool(self.languages), facts.language in self.languages, f"language:{facts.language}"),
            (bool(self.severities), severity in self.severities, f"severity:{severity}"),
            (
                bool(self.category_paths),
                any(facts.category_path.startswith(p) for p in self.category_paths if facts.category_path),
                "category",
            ),
        ]
        for active, holds, reason in checks:
            if active:
                if not holds:
                    return None
                reasons.append(reason)
        return reasons


def keyword_hits(text: str, keywords: Sequence[str]) -> list[str]:
    folded = text.casefold()
    return [k for k in keywords if k and k.casefold() in folded]


# --- triage ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageRuleC:
    id: int
    name: str
    when: Conditions
    set_priority: str = ""
    set_severity: str = ""
    repeat_within_days: int | None = None
    repeat_min_count: int = 1
    notify_user_ids: tuple[int, ...] = ()


@dataclass
class TriageOutcome:
    priority: str
    severity: str
    fired: list[dict[str, object]] = field(default_factory=list)
    notify_user_ids: list[int] = field(default_factory=list)


def _repeat_reason(rule: TriageRuleC, facts: Facts) -> str | None:
    if rule.repeat_within_days is None:
        return ""
    if facts.now is None:
        return None
    since = facts.now - timedelta(days=rule.repeat_within_days)
    n = sum(1 for at in facts.earlier_contacts if at >= since)
    return f"repeat:{n}in{rule.repeat_within_days}d" if n >= max(rule.repeat_min_count, 1) else None


def _higher_priority(a: str, b: str) -> str:
    return a if PRIORITY_RANKS.get(a, 0) >= PRIORITY_RANKS.get(b, 0) else b


def _higher_severity(a: str, b: str) -> str:
    return a if SEVERITY_RANK.get(a, 0) >= SEVERITY_RANK.get(b, 0) else b


def triage(facts: Facts, rules: Sequence[TriageRuleC]) -> TriageOutcome:
    """Rules without a complaint-grade condition run first (they may grade the complaint); rules that
    look at the grade run second. Priority only ever rises; every fired rule is listed with why."""
    is_complaint = facts.kind == "complaint"
    out = TriageOutcome(priority=facts.priority, severity=Severity.GENERAL if is_complaint else "")
    for second_pass in (False, True):
        for rule in rules:
            if bool(rule.when.severities) != second_pass:
                continue
            reasons = rule.when.why(facts, out.severity)
            if reasons is None:
                continue
            repeat = _repeat_reason(rule, facts)
            if repeat is None:
                continue
            if repeat:
                reasons.append(repeat)
            fired: dict[str, object] = {"rule_id": rule.id, "rule": rule.name, "why": reasons}
            if rule.set_priority:
                out.priority = _higher_priority(rule.set_priority, out.priority)
                fired["priority"] = rule.set_priority
            if rule.set_severity and is_complaint:
                out.severity = _higher_severity(rule.set_severity, out.severity)
                fired["severity"] = rule.set_severity
                out.notify_user_ids.extend(u for u in rule.notify_user_ids if u not in out.notify_user_ids)
            out.fired.append(fired)
    return out


# --- category suggestion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRuleC:
    category_id: int
    keywords: tuple[str, ...]


def suggest_category(
    text: str, rules: Sequence[CategoryRuleC], recent_category_ids: Sequence[int] = ()
) -> tuple[int | None, list[str]]:
    """The category with most keyword hits (a category the customer used recently wins ties and gets
    one extra point); without any hit, the customer's last category. Returns (id, reasons)."""
    scores: dict[int, int] = {}
    reasons: dict[int, list[str]] = {}
    order: list[int] = []
    for rule in rules:
        hits = keyword_hits(text, rule.keywords)
        if hits:
            if rule.category_id not in scores:
                order.append(rule.category_id)
            scores[rule.category_id] = scores.get(rule.category_id, 0) + len(hits)
            reasons.setdefault(rule.category_id, []).append("keywords:" + ",".join(hits))
    for cid in dict.fromkeys(recent_category_ids):
        if cid in scores:
            scores[cid] += 1
            reasons[cid].append("recent")
    if scores:
        best = max(order, key=lambda c: (scores[c], -order.index(c)))
        return best, reasons[best]
    if recent_category_ids:
        return recent_category_ids[0], ["recent"]
    return None, []


# --- routing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingRuleC:
    id: int
    name: str
    when: Conditions
    team_id: int
    skill_ids: frozenset[int] = frozenset()
    skip_sticky: bool = False


@dataclass(frozen=True)
class RouteOutcome:
    rule: RoutingRuleC | None
    reasons: tuple[str, ...] = ()


def route(facts: Facts, rules: Sequence[RoutingRuleC], severity: str = "") -> RouteOutcome:
    """The first rule (in order) whose conditions all hold; None means the default team."""
    for rule in rules:
        reasons = rule.when.why(facts, severity)
        if reasons is not None:
            return RouteOutcome(rule=rule, reasons=tuple(reasons))
    return RouteOutcome(rule=None)


# --- choosing the agent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    presence: str
    capacity: int
    load: int  # open tickets assigned
    weighted: int  # sum of priority ranks of those tickets (normal = 2)
    skill_ids: frozenset[int] = frozenset()
    idle_since: datetime | None = None  # last automatic assignment (None: never)


@dataclass
class Choice:
    chosen: int | None
    verdicts: dict[int, str]


def eligibility(c: Candidate, required: frozenset[int]) -> str | None:
    """None when the candidate may take a ticket, else why not."""
    if c.presence != ONLINE:
        return PassReason.OFFLINE
    if not required <= c.skill_ids:
        return PassReason.MISSING_SKILL
    if c.load >= c.capacity:
        return PassReason.AT_CAPACITY
    return None


_NEVER = datetime.min


def _idle_key(c: Candidate) -> datetime:
    return c.idle_since.replace(tzinfo=None) if c.idle_since else _NEVER


def choose(
    candidates: Sequence[Candidate], *, mode: str, required: frozenset[int] = frozenset(), last_user_id: int | None = None
) -> Choice:
    """Pick an agent. load_balanced: lowest weighted load, ties to the longest idle, then lowest id.
    round_robin: the next eligible agent by id after `last_user_id`. manual: nobody."""
    verdicts: dict[int, str] = {}
    eligible: list[Candidate] = []
    for c in candidates:
        why = eligibility(c, required)
        if why is None:
            eligible.append(c)
        else:
            verdicts[c.user_id] = why
    if mode == "manual":
        verdicts.update({c.user_id: PassReason.MANUAL for c in eligible})
        return Choice(chosen=None, verdicts=verdicts)
    if not eligible:
        return Choice(chosen=None, verdicts=verdicts)
    if mode == "round_robin":
        ordered = sorted(eligible, key=lambda c: c.user_id)
        after = [c for c in ordered if last_user_id is None or c.user_id > last_user_id]
        pick = (after or ordered)[0]
        for c in eligible:
            verdicts[c.user_id] = PassReason.CHOSEN if c is pick else PassReason.NOT_NEXT
        return Choice(chosen=pick.user_id, verdicts=verdicts)
    pick = min(eligible, key=lambda c: (c.weighted, _idle_key(c), c.user_id))
    for c in eligible:
        if c is pick:
            verdicts[c.user_id] = PassReason.CHOSEN
        else:
            verdicts[c.user_id] = PassReason.HIGHER_LOAD if c.weighted > pick.weighted else PassReason.LESS_IDLE
    return Choice(chosen=pick.user_id, verdicts=verdicts)


def single(candidate: Candidate, required: frozenset[int] = frozenset()) -> Choice:
    """The account-manager and sticky paths: this one person, if eligible."""
    why = eligibility(candidate, required)
    return Choice(chosen=candidate.user_id if why is None else None, verdicts={candidate.user_id: why or PassReason.CHOSEN})
