"""Reads of AI triage: what the model sees of a ticket, the training history, suggestions, models."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.tickets import workflow
from kefu.tickets.access import access_ticket, tickets_visible_to
from kefu.tickets.choices import OPEN_STATUSES, Priority, TicketKind
from kefu.tickets.models import Category, Ticket
from kefu.triage.choices import COMPLAINT_NO, COMPLAINT_YES, Field, Mode
from kefu.triage.engine import Example
from kefu.triage.models import TriageFeedback, TriageModel, TriagePolicy, TriageSuggestion
from kefu.triage.store import active as _store_active

RECENT = 5
# Weight of a ticket an agent gave feedback on: a correction teaches more than a silent close.
WEIGHT_CORRECTED = 3.0
WEIGHT_ACCEPTED = 1.5


def labels_of(ticket: Ticket) -> dict[str, str]:
    """The ticket's current values in the model's terms."""
    return {
        Field.CATEGORY: str(ticket.category_id) if ticket.category_id else "",
        Field.PRIORITY: ticket.priority,
        Field.COMPLAINT: COMPLAINT_YES if ticket.kind == TicketKind.COMPLAINT else COMPLAINT_NO,
        Field.TEAM: str(ticket.team_id) if ticket.team_id else "",
    }


def example_for_ticket(ticket: Ticket) -> Example:
    """What the model sees of a new ticket: text, channel, tier and the customer's recent categories
    (one query, only with a customer)."""
    recent: tuple[str, ...] = ()
    tier = ""
    if ticket.customer_id:
        tier = str(ticket.customer.tier_id or "") if ticket.customer else ""
        recent = tuple(
            str(c) for c in Ticket.objects.filter(customer_id=ticket.customer_id, created_at__lt=ticket.created_at,
                                                  category_id__isnull=False)
            .exclude(pk=ticket.pk).order_by("-created_at").values_list("category_id", flat=True)[:RECENT]
        )
    return Example(title=ticket.title, description=ticket.description, channel=ticket.channel, tier=tier, recent=recent)


def example_for_text(*, title: str, description: str = "", channel: str = "", tier_id: int | None = None) -> Example:
    return Example(title=title, description=description, channel=channel, tier=str(tier_id or ""))


def training_examples(*, until: datetime | None = None) -> list[Example]:
    """The center's history, oldest first: every resolved or closed ticket with its final values
    (after the agents' corrections), plus open tickets an agent corrected or accepted a suggestion on
    (only those fields). Tickets with feedback weigh more."""
    feedback: dict[int, dict[str, TriageFeedback]] = defaultdict(dict)
    for fb in TriageFeedback.objects.exclude(final="").order_by("created_at", "id"):
        feedback[fb.ticket_id][fb.field] = fb
    done = Q(status__in=workflow.DONE, merged_into__isnull=True)
    qs = Ticket.objects.filter(done | Q(pk__in=list(feedback)))
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = list(
        qs.order_by("created_at", "id").values_list(
            "id", "title", "description", "channel", "customer_id", "customer__tier_id", "created_at",
            "category_id", "priority", "kind", "team_id", "status",
        )
    )
    # The customers' earlier categories, from all their tickets (as at prediction time).
    customers = {r[4] for r in rows if r[4]}
    history: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    if customers:
        for cid, at, cat in (
            Ticket.objects.filter(customer_id__in=customers, category_id__isnull=False)
            .order_by("created_at").values_list("customer_id", "created_at", "category_id")
        ):
            history[cid].append((at, cat))
    out = []
    for pk, title, desc, channel, cid, tier, at, cat, prio, kind, team, status in rows:
        is_done = status in workflow.DONE
        labels = {
            Field.CATEGORY: str(cat) if cat else "", Field.PRIORITY: prio,
            Field.COMPLAINT: COMPLAINT_YES if kind == TicketKind.COMPLAINT else COMPLAINT_NO,
            Field.TEAM: str(team) if team else "",
        } if is_done else {}
        weight = 1.0
        for name, fb in feedback.get(pk, {}).items():
            labels[name] = fb.final  # type: ignore[index]  # Field is a str enum
            weight = max(weight, WEIGHT_ACCEPTED if fb.accepted else WEIGHT_CORRECTED)
        recent = tuple(str(c) for t, c in reversed(history.get(cid, [])) if t < at)[:RECENT] if cid else ()
        out.append(Example(
            title=title, description=desc, channel=channel, tier=str(tier or ""), recent=recent,
            labels={k: str(v) for k, v in labels.items()}, weight=weight,
        ))
    return out


def value_label(field: str, value: str) -> str | None:
    """The value in words (category path, team name); None when it no longer exists or is inactive."""
    if field == Field.CATEGORY:
        cat = Category.objects.filter(pk=_int(value), is_active=True).first()
        return category_names().get(str(cat.pk), cat.name) if cat else None
    if field == Field.TEAM:
        team = Team.objects.filter(pk=_int(value), is_active=True).first()
        return team.name if team else None
    if field == Field.PRIORITY:
        return str(Priority(value).label) if value in Priority.values else None
    if field == Field.COMPLAINT:
        return str(_("Complaint")) if value == COMPLAINT_YES else str(_("Not a complaint"))
    return None


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def policy_map() -> dict[str, TriagePolicy]:
    """Every field's policy (a field without a row: suggest, never auto-apply)."""
    rows = {p.field: p for p in TriagePolicy.objects.all()}
    return {f: rows.get(f) or TriagePolicy(field=f, mode=Mode.SUGGEST) for f in Field.values}


def suggestions_for_ticket(*, user: User, number: str) -> tuple[Ticket, list[TriageSuggestion]]:
    """The ticket (if `user` may see it) and its suggestions, in field order."""
    ticket = access_ticket(user=user, number=number)
    order = {f: i for i, f in enumerate(Field.values)}
    rows = sorted(TriageSuggestion.objects.filter(ticket=ticket).select_related("resolved_by"), key=lambda s: order[s.field])
    return ticket, rows


def pending_by_ticket(ticket_ids: list[int]) -> dict[int, list[TriageSuggestion]]:
    """Pending suggestions of a page of tickets (one query), for the dispatch board."""
    out: dict[int, list[TriageSuggestion]] = defaultdict(list)
    for s in TriageSuggestion.objects.filter(ticket_id__in=ticket_ids, state="pending").order_by("field"):
        out[s.ticket_id].append(s)
    return out


def models_overview(*, limit: int = 20) -> list[TriageModel]:
    return list(TriageModel.objects.order_by("-version")[:limit])


def active_model() -> TriageModel | None:
    return TriageModel.objects.filter(is_active=True).first()


def feedback_counts() -> dict[str, Any]:
    """Accepted / corrected / dismissed per field, since the start."""
    out: dict[str, dict[str, int]] = {f: {"accepted": 0, "corrected": 0, "dismissed": 0} for f in Field.values}
    for field, accepted, final in TriageFeedback.objects.values_list("field", "accepted", "final"):
        key = "accepted" if accepted else ("corrected" if final else "dismissed")
        out.setdefault(field, {"accepted": 0, "corrected": 0, "dismissed": 0})[key] += 1
    return out


def category_names() -> dict[str, str]:
    """Category id → "parent / child" (one query)."""
    rows = list(Category.objects.values_list("id", "name", "path"))
    names = {pk: name for pk, name, _path in rows}
    return {
        str(pk): " / ".join(names.get(_int(part), "?") for part in path.strip("/").split("/") if part) or name
        for pk, name, path in rows
    }


def label_names() -> dict[str, dict[str, str]]:
    """Class values in words for the figures page: category paths and team names (two queries)."""
    return {
        Field.CATEGORY: category_names(),
        Field.TEAM: {str(pk): name for pk, name in Team.objects.values_list("id", "name")},
        Field.PRIORITY: {str(v): str(label) for v, label in Priority.choices},
        Field.COMPLAINT: {COMPLAINT_YES: str(_("Complaint")), COMPLAINT_NO: str(_("Not a complaint"))},
    }


def model_figures(row: TriageModel) -> list[dict[str, Any]]:
    """Per field, for the figures page: scores, the previous model's, per-class rows, the confusion
    matrix and the calibration table, with class values in words."""
    names = label_names()
    out = []
    for field in Field.values:
        s = row.scores.get("fields", {}).get(field)
        if not s:
            continue
        words = names.get(field, {})
        prev = row.previous_scores.get("fields", {}).get(field) if row.previous_scores else None
        conf = s.get("confusion") or {"labels": [], "matrix": []}
        labels = [words.get(v, v) for v in conf["labels"]]
        out.append({
            "field": field, "label": Field(field).label, "n": s["n"], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
            "previous": prev, "missing": s.get("missing", False),
            "classes": [{**c, "name": words.get(c["label"], c["label"])} for c in s.get("classes", [])],
            "confusion": list(zip(labels, conf["matrix"], strict=False)), "confusion_labels": labels,
            "calibration": s.get("calibration", []),
        })
    return out


def predict_text(*, title: str, description: str = "", channel: str = "", tier_id: int | None = None) -> dict[str, Any] | None:
    """The active model's predictions for a text (no writes): {"version", "fields": [...]}; None
    without a model."""
    from_store = _store_active()
    if from_store is None:
        return None
    row, bundle = from_store
    preds = bundle.predict_one(example_for_text(title=title, description=description, channel=channel, tier_id=tier_id))
    fields = []
    for field in Field.values:
        p = preds.get(field)
        if p is None:
            continue
        fields.append({
            "field": field, "field_label": str(Field(field).label), "value": p.value,
            "label": value_label(field, p.value) or p.value,
            "confidence": round(p.confidence, 4), "reasons": p.reasons,
        })
    return {"version": row.version, "fields": fields}


def board_suggestions(*, user: User, team_id: int, limit: int = 50) -> list[tuple[Ticket, list[TriageSuggestion]]]:
    """The dispatch board's part: pending suggestions of the team's waiting tickets (unassigned,
    open, visible to `user`), oldest first. Two queries."""
    tickets = list(
        tickets_visible_to(user)
        .filter(team_id=team_id, assignee__isnull=True, status__in=OPEN_STATUSES,
                triage_suggestions__state="pending")
        .distinct()
        .order_by("created_at", "id")[:limit]
    )
    pending = pending_by_ticket([t.pk for t in tickets])
    return [(t, pending[t.pk]) for t in tickets if pending.get(t.pk)]
