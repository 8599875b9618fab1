"""The region dimension (the customer's 省市) of complaint counting and warnings, and upstream
actions (上游整改) with their complaint rate before and after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kefu.complaints import actions, selectors, services
from kefu.complaints.models import Complaint, ComplaintCount, ComplaintWarning, RootCause, UpstreamAction
from kefu.complaints.tests.conftest import complaints, history
from kefu.complaints.tests.test_pages_api import call
from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.tests.factories import CustomerFactory, TicketFactory
from kefu.tickets.choices import TicketKind
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def gd(db):
    return CustomerFactory(name="深圳客户", region="广东省深圳市")


def test_a_complaint_counts_in_its_customers_region(defaults, agent_alice, broadband, gd):
    (ticket,) = complaints(agent_alice, broadband, 1, customer=gd)
    complaint = services.complaint_record(ticket_id=ticket.pk)
    assert complaint is not None and complaint.region == "广东省深圳市"
    assert ComplaintCount.objects.get(dimension="region", key="广东省深圳市").count == 1
    # Without a customer (or a region): no region series.
    (other,) = complaints(agent_alice, broadband, 1)
    services.complaint_record(ticket_id=other.pk)
    assert ComplaintCount.objects.filter(dimension="region").count() == 1
    assert services.series_of(category_path=None, team_id=None, channel="phone", region="北京市") == [
        ("all", ""),
        ("channel", "phone"),
        ("region", "北京市"),
    ]


def test_a_surge_in_one_region_raises_a_region_warning_and_the_board_filters_by_region(
    defaults, client, agent_alice, lead_linda, broadband, gd, django_capture_on_commit_callbacks
):
    history(broadband, regions=("广东省深圳市",))
    with django_capture_on_commit_callbacks(execute=True):
        complaints(agent_alice, broadband, 24, customer=gd)
    raised = services.detector_check_now(actor=lead_linda)
    region_warnings = [w for w in raised if w.dimension == "region"]
    assert [w.key for w in region_warnings] == ["广东省深圳市"]
    assert "广东省深圳市" in region_warnings[0].label
    assert selectors.complaint_regions() == ["广东省深圳市"]

    on_board = selectors.warning_board(user=lead_linda, region="广东省深圳市")
    # Its own series, and the other series whose linked complaints come from the region.
    assert region_warnings[0] in on_board and set(on_board) == set(raised)
    assert selectors.warning_board(user=lead_linda, region="北京市") == []
    assert len(selectors.warning_history(user=lead_linda, region="北京市")) == 0

    login(client, lead_linda)
    page = client.get("/complaints/", {"region": "北京市"}).content.decode()
    assert 'id="warnings-region-filter"' in page and region_warnings[0].number not in page
    page = client.get("/complaints/", {"region": "广东省深圳市"}).content.decode()
    assert region_warnings[0].number in page
    page = client.get("/complaints/warnings/history/", {"region": "广东省深圳市"}).content.decode()
    assert region_warnings[0].number in page
    r = call(client, "get", "/api/v1/complaints/warnings?region=北京市", lead_linda)
    assert r.status_code == 200 and r.json() == []
    r = call(client, "get", "/api/v1/complaints/warnings?status=all&region=广东省深圳市", lead_linda)
    assert region_warnings[0].number in {w["number"] for w in r.json()}
    assert ComplaintWarning.objects.count() == len(raised)


# --- upstream actions ----------------------------------------------------------------------------


def _tickets(actor, category, *, n: int, complaints_n: int, customer, days_ago: int) -> None:
    """n tickets of the category (complaints_n of them complaints) created `days_ago` days ago."""
    at = timezone.now() - timedelta(days=days_ago)
    made = [
        TicketFactory(
            actor=actor,
            title="宽带",
            category=category,
            customer=customer,
            kind=TicketKind.COMPLAINT if i < complaints_n else TicketKind.INQUIRY,
        )
        for i in range(n)
    ]
    Ticket.objects.filter(pk__in=[t.pk for t in made]).update(created_at=at)
    for t in made[:complaints_n]:
        services.complaint_record(ticket_id=t.pk)


# (window, region, tickets, complaints): the counts behind the rates.
TABLE = [
    ("before", "广东省深圳市", 10, 4),
    ("after", "广东省深圳市", 10, 1),
    ("before", "北京市", 5, 5),  # another region: not in the action's scope
    ("after", "北京市", 5, 5),
    ("long before", "广东省深圳市", 6, 6),  # more than 4 weeks before: outside the window
]
DAYS_AGO = {"long before": 45, "before": 20, "after": 3}


def test_the_rate_before_and_after_an_action_is_counted_from_the_table(
    defaults, agent_alice, lead_linda, broadband
):
    customers = {r: CustomerFactory(name=r, region=r) for r in ("广东省深圳市", "北京市")}
    for window, region, n, k in TABLE:
        _tickets(
            agent_alice, broadband, n=n, complaints_n=k, customer=customers[region], days_ago=DAYS_AGO[window]
        )
    assert Complaint.objects.count() == 21
    cause = RootCause.objects.get(code="system")
    action = actions.upstream_action_create(
        actor=lead_linda,
        cause_id=cause.pk,
        title="核心网扩容，割接窗口改到凌晨",
        owner=lead_linda,
        due_date=date.today(),
        category_id=broadband.pk,
        region="广东省深圳市",
    )
    effect = actions.action_effect(action)
    assert (effect.before.complaints, effect.before.tickets, effect.after) == (
        5,
        20,
        None,
    )  # last 4 weeks, open

    actions.upstream_action_done(
        actor=lead_linda, action_id=action.pk, result="已扩容", now=timezone.now() - timedelta(days=10)
    )
    effect = actions.action_effect(UpstreamAction.objects.get(pk=action.pk))
    assert (effect.before.complaints, effect.before.tickets) == (4, 10)
    assert effect.after is not None and (effect.after.complaints, effect.after.tickets) == (1, 10)
    assert (effect.before.rate, effect.after.rate) == (0.4, 0.1)
    assert effect.change == pytest.approx(-0.75)
    assert not effect.after.complete  # 10 of its 28 days are over

    # Without a region the Beijing counts join; without a category too.
    wide = actions.upstream_action_create(
        actor=lead_linda,
        cause_id=cause.pk,
        title="全国",
        owner=lead_linda,
        due_date=date.today(),
    )
    assert (actions.action_effect(wide).before.complaints, actions.action_effect(wide).before.tickets) == (
        15,
        30,
    )

    with pytest.raises(DomainError) as again:
        actions.upstream_action_done(actor=lead_linda, action_id=action.pk)
    assert again.value.code == "upstream_action_done" and again.value.status == 409


def test_bad_upstream_actions_are_refused_with_their_field(defaults, agent_alice, lead_linda):
    cause = RootCause.objects.get(code="system")
    ok = {"cause_id": cause.pk, "title": "改流程", "owner": lead_linda, "due_date": date.today()}
    for field, change in (
        ("title", {"title": " "}),
        ("owner", {"owner": None}),
        ("due_date", {"due_date": None}),
        ("cause", {"cause_id": 0}),
    ):
        with pytest.raises(DomainError) as bad:
            actions.upstream_action_create(actor=lead_linda, **{**ok, **change})
        assert bad.value.code == "upstream_action_invalid" and field in bad.value.fields
    with pytest.raises(DomainError) as not_lead:
        actions.upstream_action_create(actor=agent_alice, **ok)
    assert not_lead.value.status == 403


def test_the_root_cause_page_records_an_action_and_shows_the_rates(defaults, client, lead_linda, broadband):
    cause = RootCause.objects.get(code="system")
    login(client, lead_linda)
    r = client.post(
        "/complaints/causes/actions/",
        {
            "cause": cause.pk,
            "category": broadband.pk,
            "region": "广东省深圳市",
            "title": "割接改到凌晨",
            "owner": lead_linda.pk,
            "due_date": "2026-12-31",
        },
    )
    assert r.status_code == 302
    action = UpstreamAction.objects.get()
    assert (action.region, action.category, action.owner, str(action.due_date)) == (
        "广东省深圳市",
        broadband,
        lead_linda,
        "2026-12-31",
    )
    page = client.get("/complaints/causes/").content.decode()
    assert f'data-action="{action.pk}"' in page and 'data-before="0/0"' in page
    client.post(f"/complaints/causes/actions/{action.pk}/done/", {"result": "完成"})
    page = client.get("/complaints/causes/").content.decode()
    assert 'data-status="done"' in page and 'data-after="0/0"' in page
    # A bad date is a form message, not an error page.
    r = client.post(
        "/complaints/causes/actions/",
        {"cause": cause.pk, "title": "x", "owner": lead_linda.pk, "due_date": "2026-13-45"},
    )
    assert r.status_code == 302 and UpstreamAction.objects.count() == 1


def test_the_upstream_action_api_lists_creates_shows_and_marks_done(
    defaults, client, agent_alice, lead_linda, broadband
):
    cause = RootCause.objects.get(code="system")
    _tickets(
        agent_alice, broadband, n=4, complaints_n=1, customer=CustomerFactory(region="北京市"), days_ago=5
    )
    body = {
        "cause_id": cause.pk,
        "title": "核心网扩容",
        "owner_id": lead_linda.pk,
        "due_date": "2026-12-31",
        "category_id": broadband.pk,
    }
    r = call(client, "post", "/api/v1/complaints/upstream-actions", lead_linda, body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert (created["cause"], created["status"], created["category_id"], created["after"]) == (
        "system",
        "open",
        broadband.pk,
        None,
    )
    assert (created["before"]["complaints"], created["before"]["tickets"], created["before"]["rate"]) == (
        1,
        4,
        0.25,
    )

    listed = call(client, "get", "/api/v1/complaints/upstream-actions", lead_linda).json()
    assert [a["id"] for a in listed] == [created["id"]]
    assert call(client, "get", "/api/v1/complaints/upstream-actions?status=done", lead_linda).json() == []
    detail = call(client, "get", f"/api/v1/complaints/upstream-actions/{created['id']}", lead_linda)
    assert detail.status_code == 200 and detail.json()["title"] == "核心网扩容"

    done = call(
        client,
        "post",
        f"/api/v1/complaints/upstream-actions/{created['id']}/done",
        lead_linda,
        {"result": "已扩容"},
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["result"]) == ("done", "已扩容")
    assert done.json()["after"]["complete"] is False
    again = call(client, "post", f"/api/v1/complaints/upstream-actions/{created['id']}/done", lead_linda, {})
    assert (again.status_code, again.json()["code"]) == (409, "upstream_action_done")

    # Bad input: a 400 with the field; an unknown owner; agents are refused; unknown ids are 404.
    bad = call(client, "post", "/api/v1/complaints/upstream-actions", lead_linda, {**body, "title": " "})
    assert (bad.status_code, bad.json()["code"], list(bad.json()["fields"])) == (
        400,
        "upstream_action_invalid",
        ["title"],
    )
    nobody = call(
        client, "post", "/api/v1/complaints/upstream-actions", lead_linda, {**body, "owner_id": 999999}
    )
    assert nobody.status_code == 400 and "owner_id" in nobody.json()["fields"]
    for method, url in (
        ("get", "/api/v1/complaints/upstream-actions"),
        ("get", f"/api/v1/complaints/upstream-actions/{created['id']}"),
    ):
        assert call(client, method, url, agent_alice).status_code == 403
    assert call(client, "post", "/api/v1/complaints/upstream-actions", agent_alice, body).status_code == 403
    assert call(client, "get", "/api/v1/complaints/upstream-actions/999999", lead_linda).status_code == 404
