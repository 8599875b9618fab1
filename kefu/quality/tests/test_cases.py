from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.quality import cases, services
from kefu.quality.errors import QualityErrorCode
from kefu.quality.models import QualityCase
from kefu.quality.tests.conftest import closed_ticket, scores

REPLY = "您好，已为您登记手机 13812345678，身份证 110101199003071234，全角 １３９１２３４５６７８，谢谢"


def test_mask_text_masks_phones_and_ids_and_keeps_the_rest():
    got = cases.mask_text(REPLY)
    assert "13812345678" not in got and "110101199003071234" not in got and "１３９１２３４５６７８" not in got
    assert "138****5678" in got and "1101**********1234" in got and "139****5678" in got
    assert got.startswith("您好，已为您登记手机 ") and got.endswith("，谢谢")
    assert cases.mask_text("订单号 20261207000012345678 已发货") == "订单号 20261207000012345678 已发货"


@pytest.fixture
def scored(card, agent_alice, qa_quinn):
    item = services.item_capture_ticket(ticket_id=closed_ticket(agent_alice, reply=REPLY).pk)
    return services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores=scores(card, 60))


def test_save_as_case_once_by_inspectors_only(scored, qa_quinn, agent_alice, card):
    with pytest.raises(DomainError) as exc:
        cases.case_save(actor=agent_alice, inspection_id=scored.pk)
    assert exc.value.code == QualityErrorCode.FORBIDDEN
    case = cases.case_save(actor=qa_quinn, inspection_id=scored.pk)
    assert case.tag_list == ["problem"] and case.title == scored.item.title
    with pytest.raises(DomainError) as exc:
        cases.case_save(actor=qa_quinn, inspection_id=scored.pk)
    assert exc.value.code == QualityErrorCode.CASE_EXISTS
    draft = services.inspection_start(
        actor=qa_quinn, item_id=services.item_capture_ticket(ticket_id=closed_ticket(agent_alice).pk).pk
    )
    with pytest.raises(DomainError) as exc:
        cases.case_save(actor=qa_quinn, inspection_id=draft.pk)
    assert exc.value.code == QualityErrorCode.CASE_NOT_SCORED
    cases.case_update(actor=qa_quinn, case_id=case.pk, title="问候到位但泄露信息", tags="problem、泄露 信息", note="培训用")
    case.refresh_from_db()
    assert case.tags == ",problem,泄露,信息," and case.note == "培训用"
    assert [c.pk for c in cases.cases_list(user=agent_alice, tag="泄露")] == [case.pk]
    assert list(cases.cases_list(user=agent_alice, tag="excellent")) == []
    assert cases.case_tags(user=agent_alice) == ["problem", "信息", "泄露"]


def test_case_pages_one_click_masked_and_readable_by_agents(client, scored, qa_quinn, agent_alice, teammate_bob):
    c = login(client, qa_quinn)
    page = c.get(f"/quality/inspections/{scored.pk}/").content.decode()
    assert 'id="qa-case-save"' in page
    got = c.post(f"/quality/inspections/{scored.pk}/case/")
    case = QualityCase.objects.get(inspection=scored)
    assert got.status_code == 302 and got["Location"] == f"/quality/cases/{case.pk}/"
    assert 'id="qa-case-link"' in c.get(f"/quality/inspections/{scored.pk}/").content.decode()
    detail = c.get(f"/quality/cases/{case.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail and 'id="qa-case-form"' in detail
    # an agent (not the one inspected) reads the library, anonymised, and cannot save or edit
    b = login(client, teammate_bob)
    listing = b.get("/quality/cases/?tag=problem").content.decode()
    assert f'data-case="{case.pk}"' in listing and agent_alice.name not in listing
    detail = b.get(f"/quality/cases/{case.pk}/").content.decode()
    assert "13812345678" not in detail and "qa-case-form" not in detail and agent_alice.name not in detail
    b.post(f"/quality/cases/{case.pk}/edit/", {"title": "x", "tags": "", "note": ""})
    case.refresh_from_db()
    assert case.title != "x"
    assert b.get("/quality/cases/?tag=excellent").content.decode().count("data-case=") == 0
