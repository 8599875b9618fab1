"""Joint handling tasks of VIP and 重大 / 紧急 complaints: opened after the complaint commits, with the
supervisor and a named expert, a time limit per reason, the clock, the page, the ticket panel, the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.complaints import services
from kefu.complaints.models import JointTask, JointTaskRule
from kefu.complaints.tests.test_pages_api import call
from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.dispatch import config as dispatch_config
from kefu.dispatch.services import rules_install_defaults
from kefu.sla.models import Notification
from kefu.tests.factories import CustomerFactory, TicketFactory, UserFactory
from kefu.tickets.choices import TicketKind
from kefu.tickets.services import ticket_update


@pytest.fixture
def expert_eve(db):
    return UserFactory(username="eve", display_name="技术专家伊芙", role="agent")


@pytest.fixture
def grading(settings, defaults, expert_eve):
    """Dispatch on, with its default sensitive-words rule (grades 重大) naming Eve as its expert."""
    settings.KEFU_AUTO_DISPATCH = True
    rule = rules_install_defaults()
    rule.notify_users.add(expert_eve)
    dispatch_config.rules_changed()
    return rule


def _complaint(actor, capture, **kw):
    with capture(execute=True):
        return TicketFactory(actor=actor, kind=TicketKind.COMPLAINT, **kw)


def test_a_major_complaint_opens_one_task_for_the_lead_and_the_rules_expert(
    grading, agent_alice, lead_linda, expert_eve, customer_wang, django_capture_on_commit_callbacks
):
    ticket = _complaint(
        agent_alice, django_capture_on_commit_callbacks, title="再不解决我就打12315", customer=customer_wang
    )
    task = JointTask.objects.get(ticket=ticket)
    assert (task.reason, task.grade, task.is_vip) == ("major", "major", False)
    assert (task.supervisor, task.expert) == (lead_linda, expert_eve)
    assert task.deadline == task.opened_at + timedelta(hours=4) and task.due_at == task.deadline
    # Told by dispatch that a major complaint came in, and told of the joint task.
    for user in (lead_linda, expert_eve):
        assert Notification.objects.filter(ticket=ticket, user=user).count() == 2
    # A retry of the reaction opens nothing twice.
    assert services.joint_task_consider(ticket_id=ticket.pk) == task
    assert JointTask.objects.count() == 1


def test_an_ordinary_complaint_opens_nothing_and_a_vip_one_does(
    grading, agent_alice, lead_linda, manager_mike, tier_normal, django_capture_on_commit_callbacks
):
    _complaint(agent_alice, django_capture_on_commit_callbacks, title="快递慢")
    assert not JointTask.objects.exists()
    JointTaskRule.objects.filter(reason="vip").update(hours=6, expert=manager_mike)
    vip = CustomerFactory(name="钻石客户", is_vip=True)
    ticket = _complaint(agent_alice, django_capture_on_commit_callbacks, title="快递慢", customer=vip)
    task = JointTask.objects.get(ticket=ticket)
    assert (task.reason, task.is_vip, task.expert) == ("vip", True, manager_mike)
    assert task.deadline == task.opened_at + timedelta(hours=6)


def test_an_inquiry_that_becomes_a_complaint_of_a_vip_gets_its_task(
    grading, agent_alice, lead_linda, django_capture_on_commit_callbacks
):
    vip = CustomerFactory(name="钻石客户", is_vip=True)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(actor=agent_alice, kind=TicketKind.INQUIRY, title="问下套餐", customer=vip)
    assert not JointTask.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=agent_alice, number=ticket.number, changes={"kind": TicketKind.COMPLAINT})
    assert JointTask.objects.get(ticket=ticket).reason == "vip"


def test_who_may_conclude_and_name_the_expert(
    grading,
    agent_alice,
    lead_linda,
    expert_eve,
    outsider_charlie,
    manager_mike,
    django_capture_on_commit_callbacks,
):
    ticket = _complaint(agent_alice, django_capture_on_commit_callbacks, title="要找媒体曝光你们")
    task = JointTask.objects.get(ticket=ticket)
    with pytest.raises(DomainError) as exc:
        services.joint_task_complete(actor=outsider_charlie, task_id=task.pk, result="我来")
    assert (exc.value.code, exc.value.status) == ("joint_task_not_a_party", 403)
    with pytest.raises(DomainError) as exc:
        services.joint_task_name_expert(actor=expert_eve, task_id=task.pk, expert=outsider_charlie)
    assert exc.value.code == "joint_task_not_a_party"
    with pytest.raises(DomainError) as exc:
        services.joint_task_complete(actor=expert_eve, task_id=task.pk, result="  ")
    assert exc.value.code == "warning_note_required"
    services.joint_task_name_expert(actor=lead_linda, task_id=task.pk, expert=outsider_charlie)
    done = services.joint_task_complete(
        actor=outsider_charlie, task_id=task.pk, result="上门核实，退费并致歉"
    )
    assert (done.status, done.due_at, done.overdue, done.done_by) == ("done", None, False, outsider_charlie)
    with pytest.raises(DomainError) as exc:
        services.joint_task_complete(actor=manager_mike, task_id=task.pk, result="again")
    assert (exc.value.code, exc.value.status) == ("joint_task_done", 409)


def test_the_clock_marks_a_late_task_overdue_once_and_tells_the_managers(
    grading, agent_alice, lead_linda, manager_mike, django_capture_on_commit_callbacks
):
    ticket = _complaint(agent_alice, django_capture_on_commit_callbacks, title="律师函已经在路上")
    task = JointTask.objects.get(ticket=ticket)
    later = task.deadline + timedelta(minutes=1)
    before = Notification.objects.filter(user=manager_mike, ticket=ticket).count()
    assert services.joint_task_overdue(task_id=task.pk, due_at=task.due_at, now=later) is True
    assert services.joint_task_overdue(task_id=task.pk, due_at=task.deadline, now=later) is False  # claimed
    task.refresh_from_db()
    assert task.overdue and task.due_at is None
    assert Notification.objects.filter(user=manager_mike, ticket=ticket).count() == before + 1
    done = services.joint_task_complete(actor=lead_linda, task_id=task.pk, result="已处理")
    assert done.overdue  # concluded late stays late


def test_page_panel_and_api(
    client, grading, agent_alice, lead_linda, outsider_charlie, django_capture_on_commit_callbacks
):
    ticket = _complaint(agent_alice, django_capture_on_commit_callbacks, title="打12315投诉你们")
    task = JointTask.objects.get(ticket=ticket)
    login(client, lead_linda)
    page = client.get("/complaints/joint/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    detail = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="ticket-joint-task"' in detail and "技术专家伊芙" in detail
    r = client.post(
        f"/complaints/joint/{task.pk}/complete/", {"result": "联合结论", "back": f"/tickets/{ticket.number}/"}
    )
    assert r.status_code == 302 and r["Location"] == f"/tickets/{ticket.number}/"
    assert JointTask.objects.get(pk=task.pk).status == "done"
    assert (
        client.post(f"/complaints/joint/{task.pk}/complete/", {"result": "x", "back": "//evil.example"})[
            "Location"
        ]
        == "/complaints/joint/"
    )
    # The outsider neither sees it on the page nor through the API.
    login(client, outsider_charlie)
    assert ticket.number not in client.get("/complaints/joint/?status=done").content.decode()
    assert (
        call(client, "get", f"/api/v1/complaints/joint-tasks/{task.pk}", outsider_charlie).status_code == 404
    )
    rows = call(client, "get", "/api/v1/complaints/joint-tasks?status=done", lead_linda).json()
    assert [r["ticket"] for r in rows] == [ticket.number] and rows[0]["result"] == "联合结论"
    bad = call(
        client, "post", f"/api/v1/complaints/joint-tasks/{task.pk}/complete", lead_linda, {"result": "再来"}
    )
    assert bad.status_code == 409 and bad.json()["code"] == "joint_task_done"


def test_api_names_the_expert_and_refuses_an_unknown_one(
    client, grading, agent_alice, lead_linda, outsider_charlie, django_capture_on_commit_callbacks
):
    ticket = _complaint(agent_alice, django_capture_on_commit_callbacks, title="打12315投诉你们")
    task = JointTask.objects.get(ticket=ticket)
    url = f"/api/v1/complaints/joint-tasks/{task.pk}/expert"
    r = call(client, "post", url, lead_linda, {"expert_id": 99999})
    assert r.status_code == 400 and r.json()["code"] == "complaints_not_found"
    r = call(client, "post", url, lead_linda, {"expert_id": outsider_charlie.pk})
    assert r.status_code == 200 and r.json()["expert_id"] == outsider_charlie.pk
    assert timezone.now() < JointTask.objects.get(pk=task.pk).deadline


def test_check_now_is_for_leads_and_raises_the_spike(
    client, defaults, agent_alice, lead_linda, broadband, django_capture_on_commit_callbacks
):
    from kefu.complaints.models import ComplaintWarning
    from kefu.complaints.tests.conftest import complaints, history

    history(broadband)
    with django_capture_on_commit_callbacks(execute=True):
        complaints(agent_alice, broadband, 30)
    login(client, agent_alice)
    assert client.post("/complaints/check/").status_code == 302
    assert not ComplaintWarning.objects.exists()  # an agent may not
    login(client, lead_linda)
    assert client.post("/complaints/check/").status_code == 302
    assert ComplaintWarning.objects.filter(
        dimension="category", key=str(broadband.pk), level__code="red"
    ).exists()
    assert client.get("/complaints/check/").status_code == 405
