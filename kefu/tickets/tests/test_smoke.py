from __future__ import annotations

from kefu.tests.factories import TicketFactory
from kefu.tickets.selectors import TicketFilter, ticket_list_visible_to


def test_create_and_find_by_chinese_word(agent_alice, customer_wang):
    t = TicketFactory(actor=agent_alice, title="退款一直不到账", description="客户说上周申请的退款还没有到账", customer=customer_wang)
    assert t.number.startswith("GD")
    page = ticket_list_visible_to(user=agent_alice, f=TicketFilter(q="退款"))
    assert [x.number for x in page.items] == [t.number]
    assert ticket_list_visible_to(user=agent_alice, f=TicketFilter(q="发票")).items == []


def test_find_by_substring_and_single_character(agent_alice):
    t = TicketFactory(actor=agent_alice, title="退款一直不到账")
    TicketFactory(actor=agent_alice, title="宽带故障")
    for q in ("到账", "不到账", "退款 到账", "账"):
        assert [x.number for x in ticket_list_visible_to(user=agent_alice, f=TicketFilter(q=q)).items] == [t.number], q
