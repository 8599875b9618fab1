"""/api/v1/bot/answer: a question in; an answer, choices or a handover out, with the confidence and
the sources (public knowledge articles)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ninja import Field, Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.bot.services import bot_reply

router = Router(tags=["bot"])


class QuestionIn(Schema):
    question: str = Field(..., max_length=10_000)
    misses: int = Field(0, ge=0, le=10)
    vip: bool = False


@router.post("/answer")
def answer(request: ApiRequest, payload: QuestionIn) -> dict[str, Any]:
    reply = bot_reply(question=payload.question, misses=payload.misses, vip=payload.vip, log=False)
    return asdict(reply)
