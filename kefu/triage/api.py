"""/api/v1/dispatch/triage/: predict for a text, the active model's version and scores, a ticket's
suggestions, accept and dismiss."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field as PydField

from kefu.accounts.api import ApiRequest
from kefu.core.errors import DomainError, NotFound
from kefu.tickets.access import require_write
from kefu.tickets.choices import Channel
from kefu.triage.access import require_see_models
from kefu.triage.models import TriageSuggestion
from kefu.triage.selectors import active_model, predict_text, suggestions_for_ticket
from kefu.triage.services import suggestion_accept, suggestion_dismiss

router = Router(tags=["triage"])

MAX_INPUT = 5000  # characters of title + description


class PredictIn(Schema):
    title: str = PydField(max_length=200)
    description: str = PydField("", max_length=MAX_INPUT)
    channel: str = ""
    tier_id: int | None = None


class FieldPredictionOut(Schema):
    field: str
    value: str
    label: str
    confidence: float
    reasons: list[str]


class PredictOut(Schema):
    version: int
    fields: list[FieldPredictionOut]


def _unprocessable(code: str, message: str, field: str) -> DomainError:
    return DomainError(code=code, message=message, fields={field: [message]}, status=422)


@router.post("", response=PredictOut, summary="Predict category, priority, complaint and team for a text")
def predict(request: ApiRequest, payload: PredictIn) -> dict[str, Any]:
    require_write(request.auth)
    if not (payload.title.strip() or payload.description.strip()):
        raise _unprocessable("triage_empty_text", str(_("Give a title or a description.")), "title")
    if payload.channel and payload.channel not in Channel.values:
        raise _unprocessable("invalid_channel", str(_("Unknown channel.")), "channel")
    out = predict_text(title=payload.title, description=payload.description, channel=payload.channel, tier_id=payload.tier_id)
    if out is None:
        raise DomainError(code="triage_no_model", message=_("No AI triage model has been trained yet."), status=409)
    return out


class ModelOut(Schema):
    version: int
    trained_at: datetime
    n_train: int
    n_test: int
    score: float
    previous_version: int | None
    previous_score: float | None
    fields: dict[str, dict[str, Any]]


@router.get("/model", response=ModelOut, summary="The active model's version and held-out scores")
def model(request: ApiRequest) -> dict[str, Any]:
    require_see_models(request.auth)
    row = active_model()
    if row is None:
        raise NotFound(code="triage_no_model", message=_("No AI triage model has been trained yet."))
    fields = {
        name: {k: s.get(k) for k in ("n", "accuracy", "macro_f1", "classes", "confusion", "calibration")}
        for name, s in row.scores.get("fields", {}).items()
    }
    return {
        "version": row.version, "trained_at": row.trained_at, "n_train": row.n_train, "n_test": row.n_test,
        "score": row.score, "previous_version": row.previous_version, "previous_score": row.previous_score,
        "fields": fields,
    }


class TriageSuggestionOut(Schema):
    id: int
    field: str
    value: str
    label: str
    confidence: float
    reasons: list[str]
    state: str
    decided_by: str
    rule: str
    model_version: int


def _out(s: TriageSuggestion) -> dict[str, Any]:
    return {
        "id": s.pk, "field": s.field, "value": s.value, "label": s.label, "confidence": s.confidence,
        "reasons": s.reasons, "state": s.state, "decided_by": s.decided_by, "rule": s.rule_note,
        "model_version": s.model_version,
    }


@router.get("/tickets/{number}", response=list[TriageSuggestionOut], summary="A ticket's AI triage suggestions")
def ticket_suggestions(request: ApiRequest, number: str) -> list[dict[str, Any]]:
    _ticket, rows = suggestions_for_ticket(user=request.auth, number=number)
    return [_out(s) for s in rows]


@router.post("/suggestions/{suggestion_id}/accept", response=TriageSuggestionOut, summary="Accept a suggestion")
def accept(request: ApiRequest, suggestion_id: int) -> dict[str, Any]:
    return _out(suggestion_accept(actor=request.auth, suggestion_id=suggestion_id))


@router.post("/suggestions/{suggestion_id}/dismiss", response=TriageSuggestionOut, summary="Dismiss a suggestion")
def dismiss(request: ApiRequest, suggestion_id: int) -> dict[str, Any]:
    return _out(suggestion_dismiss(actor=request.auth, suggestion_id=suggestion_id))
