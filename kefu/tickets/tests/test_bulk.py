from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.core.errors import DomainError
from kefu.core.text import index_text
from kefu.customers.models import Customer, CustomerPhone
from kefu.tests.factories import TicketFactory
from kefu.tickets.bulk import ImportMessage, ImportTicket, _Segmenter, tickets_bulk_import
from kefu.tickets.choices import EventKind
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage, TicketNumberSequence
from kefu.tickets.selectors import TicketFilter, ticket_list_visible_to, ticket_timeline

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=SH)


def _rows(agent_id: int, team_id: int) -> list[ImportTicket]:
    at = NOW - timedelta(hours=5)
    return [
        ImportTicket(
            title="宽带无法上网", description="光猫红灯闪烁，已经重启多次", created_at=at,
            customer_name="王小明", customer_phone="138-1234-1234", team_id=team_id,
        ),
        ImportTicket(
            title="退款一直不到账", description="申请退款已经一周", kind="complaint", created_at=at + timedelta(minutes=1),
            status="resolved", customer_name="李四", customer_phone="+8613900001111", team_id=team_id,
            assignee_id=agent_id, owner_id=agent_id, updated_at=at + timedelta(hours=1),
            resolved_at=at + timedelta(hours=1),
            messages=[
                ImportMessage(kind="reply", body="财务正在审核发票", created_at=at + timedelta(minutes=30), author_id=agent_id),
                ImportMessage(kind="reply", body="好的谢谢", created_at=at + timedelta(minutes=40), from_customer=True),
            ],
        ),
        # Earlier in the day but later in the input: numbers follow created_at within a batch.
        ImportTicket(title="空调不制冷", created_at=at - timedelta(hours=2), customer_phone="13900001111", team_id=team_id),
    ]


def _numbers(qs) -> list[str]:
    return sorted(qs.values_list("number", flat=True))


@time_machine.travel(NOW, tick=False)
def test_imported_tickets_are_numbered_in_sequence_and_later_creates_continue(agent_alice, front_team, tier_normal):
    first = TicketFactory(actor=agent_alice, title="开票咨询")
    assert first.number == "GD20261122-000001"

    result = tickets_bulk_import(actor=None, rows=_rows(agent_alice.pk, front_team.pk), batch_size=2)

    assert result.tickets == 3
    by_title = {t.title: t.number for t in Ticket.objects.all()}
    # Batches of 2: the first batch sorted by created_at, then the third row.
    assert by_title["宽带无法上网"] == "GD20261122-000002"
    assert by_title["退款一直不到账"] == "GD20261122-000003"
    assert by_title["空调不制冷"] == "GD20261122-000004"
    assert TicketNumberSequence.objects.get(day=NOW.date()).last == 4
    assert TicketFactory(actor=agent_alice, title="发票抬头错误").number == "GD20261122-000005"


@time_machine.travel(NOW, tick=False)
def test_import_starts_a_day_without_a_sequence_row(agent_alice, front_team, tier_normal):
    tickets_bulk_import(actor=None, rows=_rows(agent_alice.pk, front_team.pk)[:1])
    assert Ticket.objects.get().number == "GD20261122-000001"
    assert TicketFactory(actor=agent_alice, title="发票抬头错误").number == "GD20261122-000002"


@time_machine.travel(NOW, tick=False)
def test_imported_tickets_are_found_by_word_message_phone_and_number(manager_mike, agent_alice, front_team, customer_wang):
    tickets_bulk_import(actor=manager_mike, rows=_rows(agent_alice.pk, front_team.pk))

    def found(q: str) -> list[str]:
        return [t.title for t in ticket_list_visible_to(user=manager_mike, f=TicketFilter(q=q)).items]

    assert found("光猫") == ["宽带无法上网"]
    assert found("退款") == ["退款一直不到账"]
    assert found("发票") == ["退款一直不到账"]  # a word of a message body
    assert sorted(found("13900001111")) == ["空调不制冷", "退款一直不到账"]
    assert found("13812341234") == ["宽带无法上网"]
    number = Ticket.objects.get(title="空调不制冷").number
    assert found(number) == ["空调不制冷"]
    assert found("冰箱") == []
    # The team sees its tickets like any other.
    assert len(ticket_list_visible_to(user=agent_alice, f=TicketFilter(q="退款")).items) == 1


@time_machine.travel(NOW, tick=False)
def test_customers_are_matched_by_phone_or_created_once(agent_alice, front_team, customer_wang):
    tickets_bulk_import(actor=None, rows=_rows(agent_alice.pk, front_team.pk))

    assert Ticket.objects.get(title="宽带无法上网").customer == customer_wang
    li = Ticket.objects.get(title="退款一直不到账").customer
    assert li is not None and li.name == "李四" and li.tier is not None
    assert Ticket.objects.get(title="空调不制冷").customer == li  # same phone, same new customer
    assert Customer.objects.count() == 2
    assert list(CustomerPhone.objects.filter(customer=li).values_list("number", "is_primary")) == [("13900001111", True)]
    assert Ticket.objects.get(title="空调不制冷").contact_phone == "13900001111"


@time_machine.travel(NOW, tick=False)
def test_import_writes_search_text_events_and_timeline_like_the_services(agent_alice, front_team, tier_normal):
    result = tickets_bulk_import(actor=None, rows=_rows(agent_alice.pk, front_team.pk))

    assert (result.tickets, result.messages, result.events) == (3, 2, 3 + 1 + 2 + 1)
    plain = Ticket.objects.get(title="宽带无法上网")
    assert plain.search_text == index_text("宽带无法上网", "光猫红灯闪烁，已经重启多次")
    assert list(plain.events.values_list("kind", flat=True)) == [EventKind.CREATED]

    done = Ticket.objects.get(title="退款一直不到账")
    assert done.search_text.startswith(index_text("退款一直不到账", "申请退款已经一周"))
    assert "发票" in done.search_text.split()
    assert done.priority_rank == 2 and done.status == "resolved"
    assert done.resolved_at is not None and done.auto_close_due_at == done.resolved_at + timedelta(days=7)
    kinds = list(TicketEvent.objects.filter(ticket=done).order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.ASSIGNED, EventKind.REPLIED, EventKind.CUSTOMER_REPLIED, EventKind.STATUS_CHANGED]
    timeline = ticket_timeline(ticket=done)
    assert [e.message.body for e in timeline if e.message] == ["财务正在审核发票", "好的谢谢"]
    public = [e.message.body for e in ticket_timeline(ticket=done, for_customer=True) if e.message]
    assert public == ["财务正在审核发票", "好的谢谢"]
    assert TicketMessage.objects.get(body="好的谢谢").from_customer


def test_invalid_row_is_refused_before_anything_is_written(agent_alice, front_team, tier_normal):
    rows = _rows(agent_alice.pk, front_team.pk)
    rows[1].kind = "nonsense"
    with pytest.raises(DomainError) as exc:
        tickets_bulk_import(actor=None, rows=rows)
    assert exc.value.code == "import_invalid_row" and "kind" in exc.value.fields
    assert not Ticket.objects.exists() and not TicketNumberSequence.objects.exists()


def test_batches_before_an_invalid_one_stay_imported(agent_alice, front_team, tier_normal):
    rows = _rows(agent_alice.pk, front_team.pk)
    rows[2].title = " "
    with pytest.raises(DomainError) as exc:
        tickets_bulk_import(actor=None, rows=rows, batch_size=1)
    assert "title" in exc.value.fields
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["宽带无法上网", "退款一直不到账"]


def test_segmenter_pool_and_cache_give_the_same_tokens_as_index_text():
    texts = [f"客户反映宽带第{i}次无法上网" for i in range(250)] + ["退款到账"] * 5
    seg = _Segmenter(processes=2)
    try:
        tokens = seg.tokens(texts)
        again = seg.tokens(["退款到账"])
    finally:
        seg.close()
    assert all(" ".join(tokens[t]) == index_text(t) for t in texts)
    assert again["退款到账"] == tokens["退款到账"]
    assert seg.segmented == 251  # each distinct text once
