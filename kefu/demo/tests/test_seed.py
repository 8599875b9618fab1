from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import Skill, Team, User
from kefu.channels.demo import DEMO_MAIL_TICKETS
from kefu.channels.wechat_demo import DEMO_WECHAT_TICKETS
from kefu.customers.models import Customer, CustomerAsset, CustomerPhone, CustomerTier
from kefu.demo.seed import DEMO_USERNAMES, demo_load
from kefu.operations.demo import FAULT_CATEGORY, IT_TEAM
from kefu.tickets.choices import EventKind, TicketKind, TicketStatus
from kefu.tickets.models import Category, Ticket, TicketEvent, TicketMessage, TicketTransfer

pytestmark = pytest.mark.django_db

SMALL = {"tickets": 30, "customers": 20}


def run_demo(**options: int) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    return {
        "users": sorted(User.objects.values_list("username", "password", "role", "team_id")),
        "teams": Team.objects.count(),
        "skills": Skill.objects.count(),
        "tiers": CustomerTier.objects.count(),
        "categories": Category.objects.count(),
        "customers": Customer.objects.count(),
        "phones": CustomerPhone.objects.count(),
        "assets": CustomerAsset.objects.count(),
        "tickets": sorted(Ticket.objects.values_list("number", "status", "updated_at")),
        "events": TicketEvent.objects.count(),
        "messages": TicketMessage.objects.count(),
        "transfers": TicketTransfer.objects.count(),
    }


def test_demo_creates_the_named_users_and_teams():
    out = run_demo(**SMALL)
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERNAMES)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role == Role.ADMIN
    assert User.objects.get(username="manager").role == Role.MANAGER
    assert User.objects.get(username="qa1").role == Role.QA
    assert User.objects.filter(role=Role.TEAM_LEAD).count() == 3
    assert User.objects.filter(role=Role.AGENT).count() == 20
    assert all(u.check_password("kefu123") for u in User.objects.all())
    assert list(Team.objects.order_by("id").values_list("name", flat=True)) == [
        "一线客服", "投诉处理组", "技术支持", "售后", "物流", "外呼组", IT_TEAM
    ]
    assert Team.objects.get(is_default=True).name == "一线客服"
    assert set(Team.objects.filter(kind="back_office").values_list("name", flat=True)) == {"售后", "物流", IT_TEAM}
    assert CustomerTier.objects.get(is_default=True).name == "普通"
    # Missed demo calls from unknown numbers open customers named 来电 + the last 4 digits (kefu.channels.cti).
    assert Customer.objects.exclude(name__regex=r"^(Caller|来电) [0-9]{4}$").count() == 20 + DEMO_MAIL_TICKETS + DEMO_WECHAT_TICKETS  # each demo mail and WeChat follower is a new customer
    # Device faults are 报修 tickets without a customer, routed to IT (kefu.operations.demo).
    faults = Ticket.objects.filter(category__name=FAULT_CATEGORY, customer=None).count()
    assert faults >= 6
    assert Ticket.objects.count() == 30 + DEMO_MAIL_TICKETS + DEMO_WECHAT_TICKETS + faults  # and the demo mailbox's (kefu.channels.demo)
    assert Category.objects.filter(name="扣费异议", parent__name="账单与费用").exists()
    # The logins table is printed
    assert "agent20" in out and "kefu123" in out and "一线客服" in out


def test_demo_history_is_consistent_and_in_the_past():
    run_demo(**SMALL)
    now = timezone.now()
    tickets = list(Ticket.objects.all())
    assert all(t.created_at <= t.updated_at <= now for t in tickets)
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    # Every ticket was opened through ticket_create (one CREATED event each) ...
    assert len(tickets) > 30 + DEMO_MAIL_TICKETS + DEMO_WECHAT_TICKETS  # with the device faults
    assert TicketEvent.objects.filter(kind=EventKind.CREATED).count() == len(tickets)
    assert set(TicketEvent.objects.filter(kind=EventKind.CREATED).values_list("ticket_id", flat=True)) == {t.pk for t in tickets}
    # ... and worked through the services: replies, transfers with reasons, closures.
    assert TicketMessage.objects.filter(kind="reply").exists()
    assert TicketTransfer.objects.exists()
    assert not TicketTransfer.objects.filter(reason="").exists()
    assert Ticket.objects.filter(status=TicketStatus.CLOSED, closed_at__isnull=False).exists()
    assert not Ticket.objects.filter(status=TicketStatus.CLOSED, closed_at__isnull=True).exists()
    # Resolved tickets past their auto-close time were closed by the clock's service; complaints
    # wait for their callback confirmation (kefu.complaints.closure), which the clock may not skip.
    overdue = now - timedelta(minutes=5)
    assert not Ticket.objects.filter(status=TicketStatus.RESOLVED, auto_close_due_at__lt=overdue).exclude(kind=TicketKind.COMPLAINT).exists()
    for t in tickets:
        assert t.number.startswith("GD" + timezone.localtime(t.created_at).strftime("%Y%m%d"))
    # History replies email nobody.
    assert mail.outbox == []


def test_demo_runs_once():
    run_demo(**SMALL)
    before = snapshot()
    out = run_demo(**SMALL)
    assert "already loaded" in out
    assert "agent1 " in out  # the logins are shown again
    assert snapshot() == before


def test_demo_does_not_mix_into_a_database_in_use(customer_wang):
    out = run_demo(**SMALL)
    assert "Nothing changed" in out
    assert not User.objects.filter(username="agent1").exists()
    assert Customer.objects.count() == 1


def test_demo_is_deterministic():
    def titles() -> list[tuple[str, str, str]]:
        with transaction.atomic():
            demo_load(tickets=12, customers=8)
            rows = list(Ticket.objects.order_by("created_at").values_list("title", "customer__name", "kind"))
            transaction.set_rollback(True)
        return rows

    assert titles() == titles()
