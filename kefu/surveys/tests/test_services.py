from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from kefu.core.clock import load_jobs, run_pass
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.surveys import services
from kefu.surveys.access import survey_token
from kefu.surveys.choices import (
    CallbackOutcome,
    CallbackSource,
    CallbackStatus,
    CaseCloseReason,
    CaseReason,
    CaseStatus,
    SkipReason,
    SurveyStatus,
)
from kefu.surveys.models import Callback, CallbackPlan, DissatisfiedCase, Survey, SurveyTemplate
from kefu.surveys.services import (
    callback_plan_schedule,
    callback_record_result,
    care_action_done,
    care_action_plan,
    dissatisfied_close,
    survey_answer,
    survey_dispatch,
    survey_expire,
    survey_remind,
    survey_schedule_for_ticket,
)
from kefu.surveys.tests.conftest import on_commit, resolve, send
from kefu.tests.factories import CustomerFactory, TicketFactory


def token_of(survey: Survey) -> str:
    return survey_token(survey)


def test_resolution_schedules_one_survey_due_after_delay(agent_alice, customer_wang):
    SurveyTemplate.objects.filter(is_default=True).update(delay_minutes=30)
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang)
    survey = resolve(agent_alice, ticket)
    ticket.refresh_from_db()
    assert survey.status == SurveyStatus.SCHEDULED
    assert survey.send_due_at == ticket.resolved_at + timedelta(minutes=30)
    assert survey.agent_id == agent_alice.pk and survey.team_id == agent_alice.team_id
    # Idempotent: the hook may run again (resolve twice, replays) without a second survey.
    assert survey_schedule_for_ticket(ticket_id=ticket.pk).pk == survey.pk
    assert Survey.objects.count() == 1
    assert mail.outbox == []  # nothing is sent by scheduling


def test_no_customer_no_survey(agent_alice):
    ticket = TicketFactory(actor=agent_alice)
    assert resolve(agent_alice, ticket) is None


def test_template_matched_by_kind_channel_team(agent_alice, customer_wang, front_team, aftersales_team):
    specific = SurveyTemplate.objects.create(name="投诉回访", position=1, match_kinds=["complaint"], match_team=front_team)
    other_team = SurveyTemplate.objects.create(name="售后", position=0, match_team=aftersales_team)
    t1 = TicketFactory(actor=agent_alice, customer=customer_wang, kind="complaint")
    t2 = TicketFactory(actor=agent_alice, customer=CustomerFactory(name="李四", email="li@example.com"))
    assert resolve(agent_alice, t1).template_id == specific.pk
    s2 = resolve(agent_alice, t2)
    assert s2.template.is_default and s2.template_id != other_team.pk


def test_dispatch_sends_email_with_signed_link(sent_survey):
    assert sent_survey.status == SurveyStatus.SENT
    assert sent_survey.channel == "email"
    assert sent_survey.reminder_due_at and sent_survey.expire_due_at
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"]
    path = urlparse(message.body.strip().split()[-1]).path
    assert path.startswith("/surveys/s/")
    assert sent_survey.key not in path.split("/")[-2][:5]  # the key is not sent in clear at the start


def test_dispatch_claims_once(agent_alice, customer_wang):
    survey = resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer_wang))
    due = survey.send_due_at
    with on_commit():
        assert survey_dispatch(survey_id=survey.pk, due_at=due) is True
        assert survey_dispatch(survey_id=survey.pk, due_at=due) is False
    assert len(mail.outbox) == 1


def test_throttle_one_survey_per_customer_per_window(agent_alice, customer_wang, sent_survey):
    second = resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer_wang, title="第二次"))
    second = send(second)
    assert second.status == SurveyStatus.SKIPPED and second.skip_reason == SkipReason.THROTTLED
    assert len(mail.outbox) == 1


def test_throttle_window_passes(agent_alice, customer_wang, sent_survey):
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        third = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer_wang, title="很久以后")))
    assert third.status == SurveyStatus.SENT


def test_reopened_ticket_is_not_surveyed(agent_alice, customer_wang):
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang)
    survey = resolve(agent_alice, ticket)
    from kefu.tickets.services import ticket_change_status

    ticket_change_status(actor=agent_alice, number=ticket.number, status="in_progress")
    survey = send(survey)
    assert survey.status == SurveyStatus.SKIPPED and survey.skip_reason == SkipReason.REOPENED


def test_no_contact_is_skipped(agent_alice):
    customer = CustomerFactory(name="无联系方式")
    survey = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer)))
    assert survey.status == SurveyStatus.SKIPPED and survey.skip_reason == SkipReason.NO_CONTACT


def test_phone_ticket_goes_by_sms_through_gateway(agent_alice, gateway):
    customer = CustomerFactory(name="赵六", phones=["13900001111"], email="zhao@example.com")
    survey = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer, channel="phone")))
    assert survey.status == SurveyStatus.SENT and survey.channel == "sms"
    assert gateway.received[0]["to"] == "13900001111"
    assert "/surveys/s/" in gateway.received[0]["link"]
    assert mail.outbox == []


def test_wechat_ticket_goes_by_wechat(agent_alice, gateway):
    customer = CustomerFactory(name="微信客户", wechat_id="wx_abc")
    survey = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer, channel="wechat")))
    assert survey.channel == "wechat" and gateway.received[0]["to"] == "wx_abc"


def test_gateway_failure_retries_then_fails(agent_alice, gateway):
    gateway.status = 500
    customer = CustomerFactory(name="赵六", phones=["13900001111"])
    survey = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer, channel="phone")))
    assert survey.status == SurveyStatus.SCHEDULED and survey.send_due_at is not None and survey.sent_at is None
    for _ in range(2):
        survey = send(survey)
    assert survey.status == SurveyStatus.FAILED and survey.send_due_at is None
    assert len(gateway.received) == 3


def test_sms_without_gateway_falls_back_to_email(agent_alice, settings):
    settings.KEFU_SMS_GATEWAY_URL = ""
    customer = CustomerFactory(name="赵六", phones=["13900001111"], email="zhao@example.com")
    survey = send(resolve(agent_alice, TicketFactory(actor=agent_alice, customer=customer, channel="phone")))
    assert survey.channel == "email" and len(mail.outbox) == 1


def test_reminder_once_and_not_after_answer(sent_survey):
    due = sent_survey.reminder_due_at
    with on_commit():
        assert survey_remind(survey_id=sent_survey.pk, due_at=due) is True
        assert survey_remind(survey_id=sent_survey.pk, due_at=due) is False
    assert len(mail.outbox) == 2
    survey_answer(token=token_of(sent_survey), csat=5)
    with on_commit():
        services.survey_deliver(survey_id=sent_survey.pk, reminder=True)
    assert len(mail.outbox) == 2


def test_expiry_closes_the_link(sent_survey):
    assert survey_expire(survey_id=sent_survey.pk, due_at=sent_survey.expire_due_at) is True
    with pytest.raises(DomainError) as exc:
        survey_answer(token=token_of(sent_survey), csat=5, nps=10)
    assert exc.value.code == "survey_expired" and exc.value.status == 410


def test_link_past_expiry_refused_before_clock_runs(sent_survey):
    with time_machine.travel(sent_survey.expires_at + timedelta(minutes=1)):
        with pytest.raises(DomainError) as exc:
            survey_answer(token=token_of(sent_survey), csat=5)
    assert exc.value.status == 410


def test_happy_answer_once(sent_survey):
    s = survey_answer(token=token_of(sent_survey), csat=5, nps=10, dimension_scores={"speed": 5}, reasons=[], comment="很好")
    assert s.status == SurveyStatus.ANSWERED and not s.is_low and s.followup_due_at is None
    assert not Callback.objects.exists()
    with pytest.raises(Conflict) as exc:
        survey_answer(token=token_of(sent_survey), csat=1)
    assert exc.value.code == "survey_already_answered"
    s.refresh_from_db()
    assert s.csat == 5


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"csat": 0}, "csat"),
        ({"csat": 6}, "csat"),
        ({"csat": 3, "nps": 11}, "nps"),
        ({}, "csat"),
        ({"csat": 3, "reasons": ["乱写的原因"]}, "reasons"),
        ({"csat": 3, "dimension_scores": {"hacking": 3}}, "dimensions"),
        ({"csat": 3, "dimension_scores": {"speed": 9}}, "dim_speed"),
    ],
)
def test_bad_answers_refused_and_link_still_usable(sent_survey, kwargs, field):
    with pytest.raises(DomainError) as exc:
        survey_answer(token=token_of(sent_survey), **kwargs)
    assert field in exc.value.fields
    assert survey_answer(token=token_of(sent_survey), csat=4).status == SurveyStatus.ANSWERED


def test_forged_or_cross_survey_tokens_refused(sent_survey, agent_alice):
    other = Survey.objects.create(
        ticket=TicketFactory(actor=agent_alice), template=sent_survey.template, created_at=timezone.now(),
        status=SurveyStatus.SENT,
    )
    from django.core import signing

    from kefu.surveys.access import LINK_SALT

    forged = [
        "nonsense",
        token_of(sent_survey)[:-2] + "xx",
        signing.dumps({"s": other.pk, "k": sent_survey.key}, salt="wrong-salt"),
        # A valid signature over another survey's id with this survey's key: does not match any row.
        signing.dumps({"s": other.pk, "k": sent_survey.key}, salt=LINK_SALT),
    ]
    for token in forged:
        with pytest.raises(NotFound):
            survey_answer(token=token, csat=1)
    assert not Survey.objects.filter(status=SurveyStatus.ANSWERED).exists()


def test_low_score_opens_callback_for_owner_team_lead_due_in_business_hours(sent_survey, lead_linda):
    s = survey_answer(token=token_of(sent_survey), csat=2, nps=8, reasons=["响应太慢"], comment="")
    cb = Callback.objects.get(survey=s)
    assert s.is_low and s.low_because == ["csat"] and s.followup_due_at is None
    assert cb.source == CallbackSource.LOW_SCORE and cb.assignee == lead_linda and cb.status == CallbackStatus.OPEN
    assert cb.due_at == services.business_due(s.answered_at, 24) and cb.due_at > s.answered_at + timedelta(hours=24)
    case = DissatisfiedCase.objects.get(customer_id=s.customer_id)
    assert case.reason == CaseReason.LOW_SCORE and case.status == CaseStatus.OPEN


@pytest.mark.parametrize(
    "csat, nps, comment, low",
    [
        (3, 6, "", True),
        (3, 7, "", False),
        (4, 9, "客服态度差，很失望", True),
        (5, 10, "没有不满意，谢谢", False),
        (1, None, "", True),
    ],
)
def test_low_rules(sent_survey, csat, nps, comment, low):
    s = survey_answer(token=token_of(sent_survey), csat=csat, nps=nps, comment=comment)
    assert s.is_low is low
    assert Callback.objects.filter(survey=s).exists() is low


def test_crash_between_answer_and_callback_loses_nothing(sent_survey, lead_linda, monkeypatch):
    """The callback step fails (a crash injected at its first query): the answer stands with its
    follow-up mark, and the clock's follow-up job creates the callback exactly once."""

    def crash(team_id):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(services, "_lead_of", crash)
    s = survey_answer(token=token_of(sent_survey), csat=1, nps=0)
    s.refresh_from_db()
    assert s.status == SurveyStatus.ANSWERED and s.followup_due_at is not None
    assert not Callback.objects.exists()
    monkeypatch.undo()

    jobs = [j for j in load_jobs() if j.name == "survey_followup"]
    result = run_pass(job_list=jobs)
    assert result.handled == 1
    assert Callback.objects.get(survey=s).assignee == lead_linda
    assert run_pass(job_list=jobs).seen == 0
    assert Callback.objects.count() == 1


def test_followup_after_process_died_post_commit(sent_survey, lead_linda):
    """The state a process killed right after the answer's commit would leave (no callback yet)."""
    now = timezone.now()
    Survey.objects.filter(pk=sent_survey.pk).update(
        status=SurveyStatus.ANSWERED, csat=1, is_low=True, answered_at=now, followup_due_at=now
    )
    assert run_pass(job_list=[j for j in load_jobs() if j.name == "survey_followup"]).handled == 1
    assert Callback.objects.filter(survey_id=sent_survey.pk).count() == 1


def test_callback_result_reached_repaired(sent_survey, lead_linda):
    s = survey_answer(token=token_of(sent_survey), csat=1)
    cb = callback_record_result(actor=lead_linda, callback_id=s.callback.pk, outcome="reached", repaired=True, notes="已补偿")
    assert cb.status == CallbackStatus.DONE and cb.repaired is True and cb.completed_at
    with pytest.raises(Conflict):
        callback_record_result(actor=lead_linda, callback_id=cb.pk, outcome="reached", repaired=True)


def test_low_score_callback_needs_repaired_answer(sent_survey, lead_linda):
    s = survey_answer(token=token_of(sent_survey), csat=1)
    with pytest.raises(DomainError) as exc:
        callback_record_result(actor=lead_linda, callback_id=s.callback.pk, outcome="reached")
    assert "repaired" in exc.value.fields
    with pytest.raises(DomainError):
        callback_record_result(actor=lead_linda, callback_id=s.callback.pk, outcome="maybe")


def test_unreached_retried_up_to_max_then_failed_and_archived(sent_survey, lead_linda):
    s = survey_answer(token=token_of(sent_survey), csat=1)
    DissatisfiedCase.objects.all().delete()
    cb_id = s.callback.pk
    first_due = s.callback.due_at
    cb = callback_record_result(actor=lead_linda, callback_id=cb_id, outcome=CallbackOutcome.NOT_REACHED)
    assert cb.status == CallbackStatus.OPEN and cb.attempts == 1 and cb.due_at != first_due
    callback_record_result(actor=lead_linda, callback_id=cb_id, outcome=CallbackOutcome.NOT_REACHED)
    cb = callback_record_result(actor=lead_linda, callback_id=cb_id, outcome=CallbackOutcome.NOT_REACHED)
    assert cb.status == CallbackStatus.FAILED and cb.attempts == 3
    assert DissatisfiedCase.objects.get(customer_id=cb.customer_id).reason == CaseReason.FAILED_CALLBACK


def test_callback_access(sent_survey, agent_alice, teammate_bob, outsider_charlie, manager_mike, lead_linda):
    s = survey_answer(token=token_of(sent_survey), csat=1)
    with pytest.raises(NotFound):
        callback_record_result(actor=outsider_charlie, callback_id=s.callback.pk, outcome="not_reached")
    with pytest.raises(NotFound):
        callback_record_result(actor=teammate_bob, callback_id=s.callback.pk, outcome="not_reached")
    cb = callback_record_result(actor=manager_mike, callback_id=s.callback.pk, outcome="not_reached")
    assert cb.attempts == 1


def test_qa_sees_but_cannot_log(sent_survey, qa_quinn):
    s = survey_answer(token=token_of(sent_survey), csat=1)
    with pytest.raises(Forbidden):
        callback_record_result(actor=qa_quinn, callback_id=s.callback.pk, outcome="not_reached")


def test_plans_scheduled_on_resolution_and_by_code(agent_alice, customer_wang, category_billing):
    plan = CallbackPlan.objects.get(code="major_overhaul")
    plan.match_category = category_billing
    plan.save()
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang, category=category_billing)
    resolve(agent_alice, ticket)
    survey_schedule_for_ticket(ticket_id=ticket.pk)  # again: no duplicates
    ticket.refresh_from_db()
    cbs = list(Callback.objects.filter(plan=plan).order_by("due_at"))
    assert [c.plan_offset_days for c in cbs] == [10, 30, 90]
    assert cbs[0].due_at == ticket.resolved_at + timedelta(days=10)
    assert cbs[0].assignee == agent_alice

    delivery = timezone.now() + timedelta(days=2)
    sale = callback_plan_schedule(actor=agent_alice, plan_code="sale_delivery", ticket_number=ticket.number, service_at=delivery)
    assert [c.due_at for c in sale] == [delivery + timedelta(days=7)]
    with pytest.raises(NotFound):
        callback_plan_schedule(actor=agent_alice, plan_code="nope", ticket_number=ticket.number)


def test_plan_callback_reached_without_repaired(agent_alice, customer_wang):
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang)
    [cb] = callback_plan_schedule(actor=agent_alice, plan_code="minor_repair", ticket_number=ticket.number)
    cb = callback_record_result(actor=agent_alice, callback_id=cb.pk, outcome="reached", answers={"车辆问题是否已经解决？": "是"})
    assert cb.status == CallbackStatus.DONE and cb.repaired is None


def test_complaint_enters_archive_and_satisfied_survey_leaves(agent_alice, customer_wang, manager_mike):
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang, kind="complaint")
    survey = send(resolve(agent_alice, ticket))
    case = DissatisfiedCase.objects.get(customer=customer_wang, status=CaseStatus.OPEN)
    assert case.reason == CaseReason.COMPLAINT
    survey_answer(token=token_of(survey), csat=5, nps=9)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == CaseCloseReason.SATISFIED


def test_one_open_case_per_customer_reasons_accumulate(sent_survey, agent_alice, customer_wang):
    survey_answer(token=token_of(sent_survey), csat=1)
    with transaction.atomic():
        services.dissatisfied_enter(customer_id=customer_wang.pk, reason=CaseReason.COMPLAINT)
    case = DissatisfiedCase.objects.get(customer=customer_wang)
    assert [e.reason for e in case.entries.all()] == [CaseReason.COMPLAINT]


def test_care_actions_and_manager_close(sent_survey, lead_linda, agent_alice, manager_mike):
    survey_answer(token=token_of(sent_survey), csat=1)
    case = DissatisfiedCase.objects.get()
    action = care_action_plan(actor=lead_linda, case_id=case.pk, kind="gift", notes="送保养券")
    with pytest.raises(Forbidden):
        care_action_plan(actor=agent_alice, case_id=case.pk, kind="call")
    with pytest.raises(DomainError):
        care_action_plan(actor=lead_linda, case_id=case.pk, kind="bribe")
    done = care_action_done(actor=lead_linda, action_id=action.pk, notes="已送达")
    assert done.status == "done" and done.done_by == lead_linda
    with pytest.raises(Forbidden):
        dissatisfied_close(actor=lead_linda, case_id=case.pk)
    care_action_plan(actor=lead_linda, case_id=case.pk, kind="visit")
    closed = dissatisfied_close(actor=manager_mike, case_id=case.pk, note="客户已满意")
    assert closed.status == CaseStatus.CLOSED and closed.close_reason == CaseCloseReason.MANAGER
    assert not closed.care_actions.filter(status="planned").exists()
    with pytest.raises(Conflict):
        dissatisfied_close(actor=manager_mike, case_id=case.pk)


def test_daily_summary_runs_once_mails_managers_and_schedules_next(sent_survey, lead_linda, manager_mike):
    manager_mike.email = "mike@example.com"
    manager_mike.save()
    s = survey_answer(token=token_of(sent_survey), csat=1)
    callback_record_result(actor=lead_linda, callback_id=s.callback.pk, outcome="reached", repaired=True)
    row = services.summary_ensure(day=timezone.localdate())
    mail.outbox.clear()
    with on_commit():
        assert services.summary_send(summary_id=row.pk, due_at=row.due_at, now=row.due_at) is True
    assert services.summary_send(summary_id=row.pk, due_at=row.due_at, now=row.due_at) is False
    row.refresh_from_db()
    assert row.data["done"] == 1 and row.data["repaired_rate"] == 100.0
    assert [m.to for m in mail.outbox] == [["mike@example.com"]]
    from kefu.surveys.models import DailySummary

    assert DailySummary.objects.filter(day=row.day + timedelta(days=1), due_at__isnull=False).exists()


def test_survey_due_more_than_a_day_ago_is_skipped_not_sent(agent_alice, customer_wang, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.core import mail

    from kefu.surveys.choices import SkipReason, SurveyStatus
    from kefu.surveys.models import Survey
    from kefu.surveys.services import survey_dispatch
    from kefu.tests.factories import TicketFactory
    from kefu.tickets.services import ticket_change_status

    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    ticket_change_status(actor=agent_alice, number=t.number, status="resolved")
    survey = Survey.objects.get(ticket=t)
    due = survey.send_due_at
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_dispatch(survey_id=survey.pk, due_at=due, now=due + timedelta(hours=25))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SKIPPED and survey.skip_reason == SkipReason.TOO_LATE
    assert mail.outbox == []
