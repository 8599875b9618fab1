from __future__ import annotations

import pytest

from kefu.core.errors import DomainError
from kefu.quality import selectors, services
from kefu.quality.choices import ItemKind
from kefu.quality.prescreen import prescreen
from kefu.tests.factories import TicketFactory


@pytest.fixture
def card(qa_quinn):
    v = services.scorecard_create(actor=qa_quinn, name="热线", pass_mark=80)
    s = services.scorecard_section_add(actor=qa_quinn, version=v, name="服务态度")
    a = services.scorecard_item_add(actor=qa_quinn, section=s, name="礼貌用语", points=100)
    f = services.scorecard_item_add(actor=qa_quinn, section=s, name="泄露客户信息", kind=ItemKind.FATAL)
    services.scorecard_version_publish(actor=qa_quinn, version=v)
    return v, a, f


def test_fatal_fails_and_published_is_immutable_and_agent_sees_own(card, qa_quinn, agent_alice, teammate_bob):
    v, a, f = card
    with pytest.raises(DomainError):
        services.scorecard_item_update(actor=qa_quinn, item_id=a.pk, points=5)
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice, description="我的宽带坏了")
    item = services.item_capture_ticket(ticket_id=ticket.pk)
    insp = services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores={str(a.pk): 100, str(f.pk): 0})
    assert insp.total == 100 and insp.passed is False
    assert [i.pk for i in selectors.inspections_visible(user=agent_alice)] == [insp.pk]
    assert list(selectors.inspections_visible(user=teammate_bob)) == []
    with pytest.raises(DomainError):
        services.inspection_save(actor=qa_quinn, inspection_id=insp.pk, scores={str(a.pk): 200})


def test_prescreen_rules():
    rules = {f.rule for f in prescreen([{"speaker": "agent", "text": "滚，你的号码13812345678，保证退款"}])}
    assert rules == {"abuse", "leak", "promise", "impolite"}
    assert prescreen([{"speaker": "agent", "text": "您好，请稍等，谢谢"}]) == []


def test_results_count_each_contact_once_by_its_latest_submitted_inspection(card, qa_quinn, agent_alice, manager_mike):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.quality.results import qa_agent_results, qa_total

    v, a, f = card
    passed_t = TicketFactory(actor=agent_alice, assignee=agent_alice, description="一")
    failed_t = TicketFactory(actor=agent_alice, assignee=agent_alice, description="二")
    one = services.item_capture_ticket(ticket_id=passed_t.pk)
    two = services.item_capture_ticket(ticket_id=failed_t.pk)
    services.inspection_submit(actor=qa_quinn, item_id=one.pk, scores={str(a.pk): 90, str(f.pk): 1})
    services.inspection_submit(actor=qa_quinn, item_id=two.pk, scores={str(a.pk): 60, str(f.pk): 1})
    # a second inspector's later verdict on the first contact is the one that counts
    services.inspection_submit(actor=manager_mike, item_id=one.pk, scores={str(a.pk): 70, str(f.pk): 1})
    now = timezone.now()
    got = qa_agent_results(start=now - timedelta(days=1), end=now + timedelta(days=1))
    assert got[agent_alice.pk].inspected == 2
    assert got[agent_alice.pk].passed == 0
    assert got[agent_alice.pk].average == 65.0
    assert qa_total(start=now + timedelta(days=1), end=now + timedelta(days=2)).inspected == 0
    assert qa_agent_results(start=now - timedelta(days=1), end=now + timedelta(days=1), agent_ids=[manager_mike.pk]) == {}
