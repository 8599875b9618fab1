from __future__ import annotations

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kefu.conftest import login
from kefu.surveys.access import survey_token
from kefu.surveys.choices import CallbackStatus, SurveyStatus
from kefu.surveys.models import Callback, DissatisfiedCase, Survey
from kefu.surveys.services import survey_answer


def url_of(survey: Survey) -> str:
    return reverse("surveys:answer", kwargs={"token": survey_token(survey)})


def test_answer_page_two_taps(client, sent_survey):
    page = client.get(url_of(sent_survey))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csat"' in html and "<script" not in html and "style=" not in html
    done = client.post(url_of(sent_survey), {"csat": "5"})
    assert done.status_code == 200
    sent_survey.refresh_from_db()
    assert sent_survey.status == SurveyStatus.ANSWERED and sent_survey.csat == 5


def test_answer_page_full_answer_low_opens_callback(client, sent_survey, lead_linda):
    data = {"csat": "2", "nps": "3", "dim_speed": "1", "reasons": ["响应太慢"], "comment": "等了很久"}
    assert client.post(url_of(sent_survey), data).status_code == 200
    cb = Callback.objects.get(survey=sent_survey)
    assert cb.assignee == lead_linda
    sent_survey.refresh_from_db()
    assert sent_survey.dimension_scores == {"speed": 1} and sent_survey.reasons == ["响应太慢"]


def test_answer_page_replay_bad_and_forged(client, sent_survey):
    bad = client.post(url_of(sent_survey), {"csat": "9"})
    assert bad.status_code == 422
    client.post(url_of(sent_survey), {"csat": "4"})
    replay = client.post(url_of(sent_survey), {"csat": "1"})
    assert replay.status_code == 409 and "已" in replay.content.decode() or replay.status_code == 409
    again = client.get(url_of(sent_survey))
    assert again.status_code == 409
    assert client.get("/surveys/s/garbage/").status_code == 404
    assert client.post("/surveys/s/garbage/", {"csat": "5"}).status_code == 404
    sent_survey.refresh_from_db()
    assert sent_survey.csat == 4


def test_staff_pages_need_login(client):
    for name in ("surveys:callbacks", "surveys:archive", "surveys:numbers", "surveys:summary"):
        assert client.get(reverse(name)).status_code == 302


def test_callback_queue_and_fast_logging(client, sent_survey, lead_linda, django_assert_max_num_queries):
    survey_answer(token=survey_token(sent_survey), csat=1, comment="太差了")
    cb = Callback.objects.get()
    login(client, lead_linda)
    page = client.get(reverse("surveys:callbacks"))
    assert page.status_code == 200 and "王小明" in page.content.decode() and "太差了" in page.content.decode()
    partial = client.get(reverse("surveys:callbacks"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="callback-list")
    assert partial.content.decode().lstrip().startswith('<section id="callback-list"')
    url = reverse("surveys:callback_result", args=[cb.pk])
    missing = client.post(url, {f"cb{cb.pk}-outcome": "reached"}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 422
    ok = client.post(url, {f"cb{cb.pk}-outcome": "reached", f"cb{cb.pk}-repaired": "yes", f"cb{cb.pk}-notes": "已解决"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "HX-Trigger" in ok
    cb.refresh_from_db()
    assert cb.status == CallbackStatus.DONE and cb.repaired is True


def test_callback_queue_query_count_flat(client, agent_alice, customer_wang, django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.tests.factories import TicketFactory

    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    for i in range(5):
        Callback.objects.create(source="plan", customer=customer_wang, ticket=t, assignee=agent_alice,
                                due_at=timezone.now() + timedelta(hours=i), first_due_at=timezone.now(), created_at=timezone.now())
    login(client, agent_alice)
    client.get(reverse("surveys:callbacks"))
    with django_assert_num_queries(4):  # session, user, callbacks, phones
        assert client.get(reverse("surveys:callbacks")).status_code == 200


def test_outsider_cannot_log_callback(client, sent_survey, outsider_charlie):
    survey_answer(token=survey_token(sent_survey), csat=1)
    cb = Callback.objects.get()
    login(client, outsider_charlie)
    assert client.post(reverse("surveys:callback_result", args=[cb.pk]), {f"cb{cb.pk}-outcome": "reached"}, HTTP_HX_REQUEST="true").status_code == 404


def test_archive_care_and_close(client, sent_survey, lead_linda, manager_mike, agent_alice):
    survey_answer(token=survey_token(sent_survey), csat=1)
    case = DissatisfiedCase.objects.get()
    login(client, agent_alice)
    assert "王小明" in client.get(reverse("surveys:archive")).content.decode()
    assert client.get(reverse("surveys:case", args=[case.pk])).status_code == 200
    assert client.post(reverse("surveys:care_add", args=[case.pk]), {"kind": "call"}).status_code == 403
    login(client, lead_linda)
    assert client.post(reverse("surveys:care_add", args=[case.pk]), {"kind": "gift", "notes": "保养券"}).status_code == 302
    assert client.post(reverse("surveys:care_add", args=[case.pk]), {"kind": "nope"}).status_code == 422
    action = case.care_actions.get()
    assert client.post(reverse("surveys:care_done", args=[action.pk])).status_code == 302
    assert client.post(reverse("surveys:case_close", args=[case.pk]), {"note": "x"}).status_code == 403
    login(client, manager_mike)
    assert client.post(reverse("surveys:case_close", args=[case.pk]), {"note": "已回访满意"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    assert client.get(reverse("surveys:case", args=[999999])).status_code == 404


def test_dissatisfied_flag_tag(sent_survey, customer_wang):
    from django.template import Context, Template

    tpl = Template("{% load surveys %}{% dissatisfied_flag cid %}")
    assert tpl.render(Context({"cid": customer_wang.pk})).strip() == ""
    survey_answer(token=survey_token(sent_survey), csat=1)
    assert "不满意客户" in tpl.render(Context({"cid": customer_wang.pk})) or "Dissatisfied" in tpl.render(Context({"cid": customer_wang.pk}))
    assert tpl.render(Context({"cid": None})).strip() == ""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_numbers_page_and_exports(client, sent_survey, manager_mike, fmt):
    import io

    survey_answer(token=survey_token(sent_survey), csat=5, nps=10)
    login(client, manager_mike)
    page = client.get(reverse("surveys:numbers"), {"group": "agent"})
    assert page.status_code == 200 and "艾丽丝" in page.content.decode()
    assert client.get(reverse("surveys:numbers"), {"group": "bogus", "start": "nonsense"}).status_code == 200
    resp = client.get(reverse("surveys:numbers_export", args=[fmt]), {"group": "agent"})
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    if fmt == "csv":
        text = resp.content.decode("utf-8-sig")
        assert "艾丽丝,1,1,100.0,1,100.0,1,100.0" in text
    else:
        ws = load_workbook(io.BytesIO(resp.content)).active
        assert ws.cell(row=2, column=1).value == "艾丽丝" and ws.cell(row=2, column=6).value == 100.0
    assert client.get(reverse("surveys:numbers_export", args=["pdf"])).status_code == 404


def test_summary_page(client, manager_mike):
    login(client, manager_mike)
    assert client.get(reverse("surveys:summary")).status_code == 200
    assert client.get(reverse("surveys:summary"), {"day": "not-a-day"}).status_code == 200
