from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from kefu.core.errors import DomainError, Forbidden, NotFound
from kefu.customers.models import CustomerDocument
from kefu.tests.factories import CategoryFactory, CustomerFactory, TicketFactory, UserFactory
from kefu.tickets.access import access_ticket, portal_token
from kefu.tickets.choices import EventKind, MessageKind, Priority, TicketStatus
from kefu.tickets.models import Ticket, TicketEvent, TicketLink, TicketTransfer
from kefu.tickets.services import (
    TicketInput,
    Upload,
    category_save,
    ticket_add_message,
    ticket_assign,
    ticket_auto_close,
    ticket_change_priority,
    ticket_change_status,
    ticket_create_idempotent,
    ticket_customer_reopen,
    ticket_customer_reply,
    ticket_link,
    ticket_merge,
    ticket_transfer,
    ticket_update,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


# --- create ----------------------------------------------------------------------------------------


def test_create_sets_owner_number_team_and_event(agent_alice, customer_wang, front_team):
    t = TicketFactory(actor=agent_alice, customer=customer_wang, priority=Priority.HIGH)
    assert re.fullmatch(r"GD\d{8}-\d{6}", t.number)
    assert t.owner == agent_alice and t.assignee is None
    assert t.team == front_team  # the default team's queue
    assert t.status == TicketStatus.NEW and t.priority_rank == 3
    assert kinds(t) == [EventKind.CREATED]


def test_numbers_are_sequential_per_local_day(agent_alice):
    # 2026-11-22 23:30 UTC is 2026-11-23 07:30 in Shanghai: the number carries the local day.
    with time_machine.travel("2026-11-22 23:30:00+00:00", tick=False):
        a = TicketFactory(actor=agent_alice)
        b = TicketFactory(actor=agent_alice)
    assert a.number == "GD20261123-000001"
    assert b.number == "GD20261123-000002"


def test_create_with_assignee_is_assigned(lead_linda, agent_alice):
    t = TicketFactory(actor=lead_linda, assignee=agent_alice)
    assert t.status == TicketStatus.ASSIGNED and t.assignee == agent_alice and t.owner == lead_linda
    assert kinds(t) == [EventKind.CREATED, EventKind.ASSIGNED]


def test_create_requires_title(agent_alice):
    with pytest.raises(DomainError) as exc:
        TicketFactory(actor=agent_alice, title="   ")
    assert exc.value.code == "title_required"
    assert Ticket.objects.count() == 0


def test_create_refuses_for_qa(qa_quinn):
    with pytest.raises(Forbidden):
        TicketFactory(actor=qa_quinn)


def test_create_archives_upload_on_customer_and_reuses_it(agent_alice, customer_wang):
    t1 = TicketFactory(actor=agent_alice, customer=customer_wang, uploads=[Upload("发票.png", PNG)])
    doc = CustomerDocument.objects.get()
    t2 = TicketFactory(actor=agent_alice, customer=customer_wang, documents=[doc])
    t3 = TicketFactory(actor=agent_alice, customer=customer_wang, uploads=[Upload("again.png", PNG)])
    assert CustomerDocument.objects.count() == 1  # the same content is archived once
    for t in (t1, t2, t3):
        assert t.attachments.get().document == doc


def test_create_refuses_bad_upload_and_saves_nothing(agent_alice, customer_wang):
    with pytest.raises(DomainError) as exc:
        TicketFactory(actor=agent_alice, customer=customer_wang, uploads=[Upload("x.png", b"<html><script>")])
    assert exc.value.code == "upload_type_not_allowed"
    assert Ticket.objects.count() == 0 and CustomerDocument.objects.count() == 0


def test_create_refuses_other_customers_document(agent_alice, customer_wang):
    other = CustomerFactory(name="李四", phones=["13900000000"])
    TicketFactory(actor=agent_alice, customer=other, uploads=[Upload("a.png", PNG)])
    with pytest.raises(DomainError):
        TicketFactory(actor=agent_alice, customer=customer_wang, documents=[CustomerDocument.objects.get()])


def test_idempotent_create_returns_first_ticket(agent_alice):
    data = TicketInput(title="重复提交")
    t1, created1 = ticket_create_idempotent(actor=agent_alice, key="k1", payload={"title": "重复提交"}, data=data)
    t2, created2 = ticket_create_idempotent(actor=agent_alice, key="k1", payload={"title": "重复提交"}, data=data)
    assert (created1, created2) == (True, False) and t1.pk == t2.pk
    assert Ticket.objects.count() == 1
    with pytest.raises(DomainError) as exc:
        ticket_create_idempotent(actor=agent_alice, key="k1", payload={"title": "另一个"}, data=TicketInput(title="另一个"))
    assert exc.value.status == 409


@pytest.mark.django_db(transaction=True)
def test_numbers_unique_under_concurrent_creators(front_team):
    agent = UserFactory(username="racer", team=front_team)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(3):
                t = TicketFactory(actor=agent, title="并发")
                with lock:
                    numbers.append(t.number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(numbers) == 24 and len(set(numbers)) == 24
    assert Ticket.objects.count() == 24


# --- access ----------------------------------------------------------------------------------------


def test_visibility(agent_alice, teammate_bob, outsider_charlie, manager_mike, qa_quinn):
    t = TicketFactory(actor=agent_alice)
    for user in (agent_alice, teammate_bob, manager_mike, qa_quinn):
        assert access_ticket(user=user, number=t.number) == t
    with pytest.raises(NotFound):
        access_ticket(user=outsider_charlie, number=t.number)


def test_outsider_cannot_change_ticket(agent_alice, outsider_charlie):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(NotFound):
        ticket_change_status(actor=outsider_charlie, number=t.number, status=TicketStatus.RESOLVED)
    with pytest.raises(NotFound):
        ticket_add_message(actor=outsider_charlie, number=t.number, kind=MessageKind.REPLY, body="hi")


# --- assign and transfer ---------------------------------------------------------------------------


def test_agent_may_claim_but_not_assign_others(agent_alice, teammate_bob):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(Forbidden):
        ticket_assign(actor=agent_alice, number=t.number, assignee=teammate_bob)
    t = ticket_assign(actor=teammate_bob, number=t.number, assignee=teammate_bob)
    assert t.assignee == teammate_bob and t.status == TicketStatus.ASSIGNED
    assert t.owner == agent_alice  # first-contact owner stays


def test_lead_assigns_and_unassigns(lead_linda, agent_alice, teammate_bob):
    t = TicketFactory(actor=None, title="网页提交")
    t = ticket_assign(actor=lead_linda, number=t.number, assignee=agent_alice)
    assert t.owner == agent_alice  # a customer's ticket gets its owner at first assignment
    t = ticket_assign(actor=lead_linda, number=t.number, assignee=teammate_bob)
    assert t.owner == agent_alice and t.assignee == teammate_bob
    t = ticket_assign(actor=lead_linda, number=t.number, assignee=None)
    assert t.assignee is None and t.status == TicketStatus.NEW
    assert kinds(t) == [EventKind.CREATED, EventKind.ASSIGNED, EventKind.ASSIGNED, EventKind.UNASSIGNED]


def test_assign_refuses_member_of_other_team(lead_linda, outsider_charlie, front_team):
    t = TicketFactory(actor=lead_linda)
    with pytest.raises(DomainError) as exc:
        ticket_assign(actor=lead_linda, number=t.number, assignee=outsider_charlie, team=front_team)
    assert exc.value.code == "assignee_not_in_team"


def test_transfer_keeps_owner_and_records_reason(agent_alice, outsider_charlie, aftersales_team):
    t = TicketFactory(actor=agent_alice)
    t = ticket_assign(actor=agent_alice, number=t.number, assignee=agent_alice)
    t = ticket_transfer(actor=agent_alice, number=t.number, to_team=aftersales_team, to_user=outsider_charlie, reason="需要售后上门")
    assert t.owner == agent_alice and t.assignee == outsider_charlie and t.team == aftersales_team
    assert t.transfer_count == 1
    tr = TicketTransfer.objects.get()
    assert (tr.from_user, tr.to_user, tr.reason) == (agent_alice, outsider_charlie, "需要售后上门")
    # Still visible to the owner, and now to the receiving team.
    assert access_ticket(user=agent_alice, number=t.number)
    assert access_ticket(user=outsider_charlie, number=t.number)


def test_transfer_needs_reason_and_target(agent_alice, aftersales_team):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(DomainError) as exc:
        ticket_transfer(actor=agent_alice, number=t.number, to_team=aftersales_team, reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        ticket_transfer(actor=agent_alice, number=t.number, to_team=None, reason="x")
    assert exc.value.code == "transfer_target_required"
    with pytest.raises(DomainError) as exc:
        ticket_transfer(actor=agent_alice, number=t.number, to_team=t.team, reason="x")
    assert exc.value.code == "transfer_same_place"
    assert TicketTransfer.objects.count() == 0


# --- status ----------------------------------------------------------------------------------------


def test_status_flow_and_reopen(agent_alice):
    t = TicketFactory(actor=agent_alice)
    t = ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.IN_PROGRESS)
    assert t.assignee == agent_alice  # working an unassigned ticket takes it
    t = ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    assert t.resolved_at is not None and t.auto_close_due_at is not None
    t = ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.IN_PROGRESS)
    assert t.reopen_count == 1 and t.resolved_at is None and t.auto_close_due_at is None
    assert kinds(t)[-1] == EventKind.REOPENED


def test_invalid_transition_refused(agent_alice):
    t = TicketFactory(actor=agent_alice)
    ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    with pytest.raises(DomainError) as exc:
        ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.PENDING_CUSTOMER)
    assert exc.value.code == "invalid_status_transition"
    with pytest.raises(DomainError):
        ticket_change_status(actor=agent_alice, number=t.number, status="nonsense")


def test_priority_change(agent_alice):
    t = TicketFactory(actor=agent_alice)
    t = ticket_change_priority(actor=agent_alice, number=t.number, priority=Priority.URGENT, reason="媒体")
    assert t.priority_rank == 4
    ev = TicketEvent.objects.filter(ticket=t, kind=EventKind.PRIORITY_CHANGED).get()
    assert ev.data["from"] == "normal" and ev.data["to"] == "urgent"


def test_update_fields_tags_and_search(agent_alice, category_billing):
    t = TicketFactory(actor=agent_alice, title="宽带断网")
    t = ticket_update(actor=agent_alice, number=t.number, changes={"title": "发票开错了", "category": category_billing}, tags=["加急"])
    assert t.title == "发票开错了" and "发票" in t.search_text.split()
    assert [x.name for x in t.tags.all()] == ["加急"]
    with pytest.raises(DomainError):
        ticket_update(actor=agent_alice, number=t.number, changes={"status": "closed"})


# --- messages and portal ---------------------------------------------------------------------------


def test_reply_sets_first_response_and_starts_work_and_mails_customer(agent_alice, customer_wang, django_capture_on_commit_callbacks):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.REPLY, body="您好，已为您处理")
    t.refresh_from_db()
    assert t.first_response_at is not None and t.status == TicketStatus.IN_PROGRESS
    assert len(mail.outbox) == 1 and t.number in mail.outbox[0].subject
    assert portal_token(t) in mail.outbox[0].body


def test_note_is_not_a_response(agent_alice, customer_wang, django_capture_on_commit_callbacks):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.NOTE, body="客户语气激动")
    t.refresh_from_db()
    assert t.first_response_at is None and t.status == TicketStatus.NEW and mail.outbox == []


def test_reply_with_status(agent_alice):
    t = TicketFactory(actor=agent_alice)
    ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.REPLY, body="请提供截图", status=TicketStatus.PENDING_CUSTOMER)
    t.refresh_from_db()
    assert t.status == TicketStatus.PENDING_CUSTOMER


def test_empty_message_refused(agent_alice):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(DomainError) as exc:
        ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.REPLY, body="  ")
    assert exc.value.code == "empty_message"


def test_customer_reply_resumes_pending_and_reopens_resolved(agent_alice, customer_wang):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.PENDING_CUSTOMER)
    token = portal_token(t)
    ticket_customer_reply(token=token, body="截图已上传", uploads=[Upload("s.png", PNG)])
    t.refresh_from_db()
    assert t.status == TicketStatus.IN_PROGRESS and t.attachments.count() == 1
    ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    ticket_customer_reopen(token=token, reason="问题又出现了")
    t.refresh_from_db()
    assert t.status == TicketStatus.IN_PROGRESS and t.reopen_count == 1


def test_customer_cannot_reopen_after_window(agent_alice, customer_wang, settings):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    with time_machine.travel(timezone.now() + timedelta(days=settings.KEFU_REOPEN_DAYS + 1)):
        with pytest.raises(DomainError) as exc:
            ticket_customer_reply(token=portal_token(t), body="还没好")
    assert exc.value.code == "reopen_window_passed"


def test_forged_portal_token_refused(agent_alice, customer_wang):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    token = portal_token(t)
    for bad in (token[:-2] + "xx", "", "abc", token.replace(":", ";")):
        with pytest.raises(NotFound):
            ticket_customer_reply(token=bad, body="hi")


# --- links, merge, auto close ----------------------------------------------------------------------


def test_link_and_merge(lead_linda, agent_alice):
    a = TicketFactory(actor=agent_alice, title="断网")
    b = TicketFactory(actor=agent_alice, title="断网 again")
    ticket_link(actor=agent_alice, number=a.number, other_number=b.number)
    assert TicketLink.objects.count() == 1
    with pytest.raises(DomainError):
        ticket_link(actor=agent_alice, number=a.number, other_number=a.number)
    with pytest.raises(Forbidden):
        ticket_merge(actor=agent_alice, source_number=b.number, target_number=a.number)
    target = ticket_merge(actor=lead_linda, source_number=b.number, target_number=a.number)
    b.refresh_from_db()
    assert target == a and b.merged_into == a and b.status == TicketStatus.CLOSED
    assert EventKind.MERGED in kinds(a) and EventKind.MERGED_INTO in kinds(b)
    with pytest.raises(DomainError):
        ticket_merge(actor=lead_linda, source_number=b.number, target_number=a.number)


def test_auto_close_claims_once_and_skips_reopened(agent_alice):
    t = TicketFactory(actor=agent_alice)
    t = ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    due = t.auto_close_due_at
    assert ticket_auto_close(ticket_id=t.pk, due_at=due) is True
    assert ticket_auto_close(ticket_id=t.pk, due_at=due) is False  # a second clock finds nothing
    t.refresh_from_db()
    assert t.status == TicketStatus.CLOSED and kinds(t).count(EventKind.AUTO_CLOSED) == 1

    u = TicketFactory(actor=agent_alice)
    u = ticket_change_status(actor=agent_alice, number=u.number, status=TicketStatus.RESOLVED)
    due = u.auto_close_due_at
    ticket_change_status(actor=agent_alice, number=u.number, status=TicketStatus.IN_PROGRESS)
    assert ticket_auto_close(ticket_id=u.pk, due_at=due) is False


def test_category_paths_follow_moves(db):
    root = CategoryFactory(name="账单")
    child = CategoryFactory(name="退款", parent=root)
    leaf = CategoryFactory(name="退款不到账", parent=child)
    other = CategoryFactory(name="投诉")
    child.parent = other
    category_save(category=child)
    leaf.refresh_from_db()
    assert leaf.path == f"/{other.pk}/{child.pk}/{leaf.pk}/"
    other.parent = leaf
    with pytest.raises(DomainError):
        category_save(category=other)


def test_search_text_covers_messages(agent_alice):
    t = TicketFactory(actor=agent_alice, title="咨询")
    ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.NOTE, body="客户要求赔偿")
    t.refresh_from_db()
    assert "赔偿" in t.search_text.split()
    assert connection.vendor in {"sqlite", "postgresql"}


def test_create_enforces_assignment_rules(agent_alice, teammate_bob, lead_linda, outsider_charlie, aftersales_team, front_team):
    with pytest.raises(Forbidden):
        TicketFactory(actor=agent_alice, assignee=teammate_bob)
    assert TicketFactory(actor=agent_alice, assignee=agent_alice).assignee == agent_alice
    with pytest.raises(DomainError) as exc:
        TicketFactory(actor=lead_linda, assignee=outsider_charlie, team=front_team)
    assert exc.value.code == "assignee_not_in_team"
    teammate_bob.is_active = False
    teammate_bob.save()
    with pytest.raises(DomainError):
        TicketFactory(actor=lead_linda, assignee=teammate_bob)
    aftersales_team.is_active = False
    aftersales_team.save()
    with pytest.raises(DomainError) as exc:
        TicketFactory(actor=lead_linda, team=aftersales_team)
    assert exc.value.code == "team_inactive"


def test_contact_phone_normalised(agent_alice):
    t = TicketFactory(actor=agent_alice, contact_phone="+86 138-1234-1234")
    assert t.contact_phone == "13812341234"
    t = ticket_update(actor=agent_alice, number=t.number, changes={"contact_phone": "139 0000 0000"})
    assert t.contact_phone == "13900000000"
    with pytest.raises(DomainError):
        ticket_update(actor=agent_alice, number=t.number, changes={"title": None})


def test_reply_with_refused_status_keeps_nothing(agent_alice):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(DomainError):
        ticket_add_message(actor=agent_alice, number=t.number, kind=MessageKind.REPLY, body="好的", status="closedish")
    assert t.messages.count() == 0


def test_customer_attachment_on_ticket_without_customer_is_a_domain_error(agent_alice):
    t = TicketFactory(actor=agent_alice)
    with pytest.raises(DomainError) as exc:
        ticket_customer_reply(token=portal_token(t), body="附件", uploads=[Upload("a.png", PNG)])
    assert exc.value.code == "customer_required"


def test_portal_link_revoke(agent_alice, customer_wang):
    from kefu.tickets.services import ticket_portal_link_revoke

    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    old = portal_token(t)
    t = ticket_portal_link_revoke(actor=agent_alice, number=t.number)
    with pytest.raises(NotFound):
        ticket_customer_reply(token=old, body="hi")
    ticket_customer_reply(token=portal_token(t), body="hi")


def test_reopen_window_counts_from_closing(agent_alice, customer_wang, settings):
    from kefu.tickets.services import ticket_reopen_deadline

    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    assert ticket_reopen_deadline(t) is None
    ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.RESOLVED)
    with time_machine.travel(timezone.now() + timedelta(days=settings.KEFU_REOPEN_DAYS - 1)):
        t = ticket_change_status(actor=agent_alice, number=t.number, status=TicketStatus.CLOSED)
    assert ticket_reopen_deadline(t) == t.closed_at + timedelta(days=settings.KEFU_REOPEN_DAYS)
