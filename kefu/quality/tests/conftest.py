from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.complaints.closure import complaint_close_override
from kefu.quality import services
from kefu.quality.choices import ItemKind
from kefu.tests.factories import TicketFactory, UserFactory
from kefu.tickets.choices import MessageKind, TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import ticket_add_message, ticket_change_status


@pytest.fixture
def qa_quentin(db) -> User:
    return UserFactory(username="quentin", display_name="邱", role=Role.QA)


@pytest.fixture
def qa_lead_lucy(db) -> User:
    user = UserFactory(username="lucy", display_name="陆", role=Role.QA)
    user.user_permissions.add(Permission.objects.get(codename="lead_qa", content_type__app_label="quality"))
    return User.objects.get(pk=user.pk)  # a fresh row: no cached permissions


@pytest.fixture
def card(qa_quinn):
    v = services.scorecard_create(actor=qa_quinn, name="热线", pass_mark=80)
    s = services.scorecard_section_add(actor=qa_quinn, version=v, name="服务态度")
    a = services.scorecard_item_add(actor=qa_quinn, section=s, name="礼貌用语", points=100)
    f = services.scorecard_item_add(actor=qa_quinn, section=s, name="泄露客户信息", kind=ItemKind.FATAL)
    services.scorecard_version_publish(actor=qa_quinn, version=v)
    return v, a, f


def closed_ticket(agent: User, *, reply: str = "您好，请稍等，谢谢", **kw: Any) -> Ticket:
    ticket = TicketFactory(actor=agent, assignee=agent, description="我的宽带坏了", **kw)
    ticket_add_message(actor=agent, number=ticket.number, kind=MessageKind.REPLY, body=reply)
    if ticket.kind == TicketKind.COMPLAINT:
        # A complaint closes after a callback confirmation or a lead's override (kefu.complaints.closure).
        lead = UserFactory(role=Role.TEAM_LEAD, team=agent.team)
        complaint_close_override(actor=lead, number=ticket.number, reason="客户已电话确认")
    else:
        ticket_change_status(actor=agent, number=ticket.number, status=TicketStatus.CLOSED)
    return Ticket.objects.get(pk=ticket.pk)


def scores(card: Any, polite: int, fatal: int = 1) -> dict[str, int]:
    _, a, f = card
    return {str(a.pk): polite, str(f.pk): fatal}
