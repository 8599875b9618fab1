from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kefu.quality import review, sampling, services
from kefu.quality.models import Appeal, Calibration, Inspection
from kefu.quality.tests.conftest import closed_ticket, scores


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world(card, manager_mike, agent_alice, qa_quinn, qa_quentin, qa_lead_lucy, lead_linda):
    closed_ticket(agent_alice, reply="滚，你的号码13812345678")
    plan = sampling.plan_save(actor=manager_mike, name="月度", scorecard_id=card[0].scorecard_id, blind_share="1",
                              recheck_share="0", inspector_ids=[qa_quinn.pk, qa_quentin.pk])
    now = timezone.now()
    entry = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=now - timedelta(days=1),
                               end=now + timedelta(days=1)).entries[0]
    return entry.item


def test_pages_render_for_each_role(world, card, qa_quinn, qa_lead_lucy, agent_alice, lead_linda, manager_mike, teammate_bob):
    insp = Inspection.objects.filter(item=world).order_by("id").first()
    me = _client(insp.inspector)
    page = me.get(f"/quality/inspections/{insp.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "qa-evidence" in body and "13812345678" in body  # evidence highlighted
    # submit from the form (fatal item pre-filled as violated)
    _, a, f = card
    r = me.post(f"/quality/inspections/{insp.pk}/save/", {f"score_{a.pk}": "50", f"score_{f.pk}": "0", "submit": "1"})
    assert r.status_code == 302
    insp.refresh_from_db()
    assert insp.state == "submitted" and insp.passed is False
    # score above max is a form error, not a 500
    other = Inspection.objects.filter(item=world).exclude(pk=insp.pk).first()
    bad = _client(other.inspector).post(f"/quality/inspections/{other.pk}/save/", {f"score_{a.pk}": "500", "submit": "1"},
                                        follow=True)
    assert bad.status_code == 200 and "超出" in bad.content.decode() or "out of range" in bad.content.decode()
    for user in (qa_quinn, qa_lead_lucy, manager_mike):
        c = _client(user)
        for url in ("/quality/", "/quality/results/", "/quality/plans/", "/quality/scorecards/",
                    f"/quality/scorecards/{card[0].scorecard_id}/", "/quality/appeals/", "/quality/coaching/"):
            assert c.get(url).status_code == 200, (user, url)
    assert _client(qa_lead_lucy).get("/quality/calibrations/").status_code == 200
    assert _client(qa_quinn).get("/quality/calibrations/").status_code == 404
    alice = _client(agent_alice)
    assert alice.get("/quality/").status_code == 302
    mine = alice.get("/quality/mine/")
    assert mine.status_code == 200 and world.source_ref in mine.content.decode()
    assert _client(teammate_bob).get(f"/quality/inspections/{insp.pk}/").status_code == 404
    assert alice.get("/quality/plans/").status_code == 404
    r = alice.post(f"/quality/inspections/{insp.pk}/appeal/", {"reason": "客户先骂人"})
    appeal = Appeal.objects.get()
    assert _client(lead_linda).get(f"/quality/appeals/{appeal.pk}/").status_code == 200
    _client(lead_linda).post(f"/quality/appeals/{appeal.pk}/decide/", {"decision": "yes"})
    appeal.refresh_from_db()
    assert appeal.state == "qa"
    assert _client(qa_lead_lucy).get(f"/quality/appeals/{appeal.pk}/").status_code == 200
    assert _client(qa_lead_lucy).get("/quality/results/?start=2020-01-01&team=x").status_code == 200


def test_calibration_page_and_settle(world, card, qa_lead_lucy):
    a_, b_ = Inspection.objects.filter(item=world).order_by("level")
    services.inspection_save(actor=a_.inspector, inspection_id=a_.pk, scores=scores(card, 100), submit=True)
    services.inspection_save(actor=b_.inspector, inspection_id=b_.pk, scores=scores(card, 50), submit=True)
    cal = Calibration.objects.get()
    c = _client(qa_lead_lucy)
    assert c.get(f"/quality/calibrations/{cal.pk}/").status_code == 200
    _, a, f = card
    c.post(f"/quality/calibrations/{cal.pk}/settle/", {f"score_{a.pk}": "90", f"score_{f.pk}": "1"})
    cal.refresh_from_db()
    assert cal.state == "settled" and cal.result.total == 90
    assert review.business_days_after(timezone.now(), 1) > timezone.now()
