from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.conftest import login
from kefu.customers.models import Customer, CustomerPhone
from kefu.tests.factories import CategoryFactory, TicketFactory
from kefu.tickets.choices import MessageKind, Priority, TicketStatus
from kefu.tickets.models import Ticket, TicketAttachment, TicketLink, TicketMessage, TicketTransfer
from kefu.tickets.services import Upload

HX = {"HTTP_HX_REQUEST": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def hx(target: str) -> dict[str, str]:
    return {**HX, "HTTP_HX_TARGET": target}


def detail_url(ticket: Ticket, action: str = "detail") -> str:
    return reverse(f"tickets:{action}", kwargs={"number": ticket.number})


@pytest.fixture
def ticket(agent_alice, customer_wang):
    return TicketFactory(actor=agent_alice, title="宽带无法上网", description="晚上八点以后断线", customer=customer_wang,
                         contact_phone="13812341234")


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tickets:queue", "tickets:new", "tickets:search", "tickets:overview"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_ticket_page_and_action_redirect_to_login(client, ticket):
    assert client.get(detail_url(ticket)).status_code == 302
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "hi"})
    assert response.status_code == 302
    assert not TicketMessage.objects.exists()


def test_outsider_gets_404_on_another_teams_ticket(client, ticket, outsider_charlie):
    login(client, outsider_charlie)
    assert client.get(detail_url(ticket)).status_code == 404
    assert client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "x"}).status_code == 404
    assert client.post(detail_url(ticket, "status"), {"status": "resolved"}).status_code == 404
    assert not TicketMessage.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_outsider_cannot_download_attachment(client, agent_alice, outsider_charlie, customer_wang):
    t = TicketFactory(actor=agent_alice, customer=customer_wang, uploads=[Upload(name="a.png", content=PNG)])
    att = TicketAttachment.objects.get(ticket=t)
    url = reverse("tickets:attachment", kwargs={"number": t.number, "attachment_id": att.pk})
    login(client, outsider_charlie)
    assert client.get(url).status_code == 404
    login(client, agent_alice)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert "attachment" in response["Content-Disposition"]


# --- queue -----------------------------------------------------------------------------------------


def test_queue_lists_my_tickets_with_counts(client, agent_alice, teammate_bob, customer_wang):
    mine = TicketFactory(actor=agent_alice, title="我的工单", assignee=agent_alice, customer=customer_wang)
    TicketFactory(actor=teammate_bob, title="鲍勃的工单", assignee=teammate_bob)
    login(client, agent_alice)
    response = client.get(reverse("tickets:queue") + "?scope=mine")
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.number in body and "鲍勃的工单" not in body
    assert "王小明" in body
    assert 'id="queue-tabs"' in body and 'hx-trigger="every 20s"' in body
    team = client.get(reverse("tickets:queue") + "?scope=team").content.decode()
    assert "鲍勃的工单" in team and "我的工单" in team


def test_queue_owned_elsewhere_and_unassigned(client, agent_alice, aftersales_team, outsider_charlie):
    from kefu.tickets.services import ticket_transfer

    moved = TicketFactory(actor=agent_alice, title="已转售后", assignee=agent_alice)
    ticket_transfer(actor=agent_alice, number=moved.number, to_team=aftersales_team, reason="需要上门")
    waiting = TicketFactory(actor=agent_alice, title="等待认领")
    login(client, agent_alice)
    body = client.get(reverse("tickets:queue") + "?scope=owned_elsewhere").content.decode()
    assert moved.number in body and waiting.number in body  # both owned by alice, handled by someone else / no one
    body = client.get(reverse("tickets:queue") + "?scope=unassigned").content.decode()
    assert waiting.number in body


def test_queue_filters_and_text_search(client, agent_alice):
    urgent = TicketFactory(actor=agent_alice, title="退款一直不到账", priority=Priority.URGENT)
    TicketFactory(actor=agent_alice, title="发票开错了", priority=Priority.LOW)
    login(client, agent_alice)
    body = client.get(reverse("tickets:queue"), {"scope": "team", "priority": "urgent"}).content.decode()
    assert urgent.number in body and "发票开错了" not in body
    body = client.get(reverse("tickets:queue"), {"scope": "team", "q": "退款"}).content.decode()
    assert urgent.number in body and "发票开错了" not in body


def test_queue_bad_filter_values_never_fail(client, agent_alice):
    TicketFactory(actor=agent_alice, title="正常工单")
    login(client, agent_alice)
    response = client.get(reverse("tickets:queue"), {"scope": "nope", "priority": "x", "team": "abc", "cursor": "!!", "sort": "id"})
    assert response.status_code == 200


def test_queue_htmx_results_partial_and_keyset_more(client, agent_alice):
    for i in range(30):
        TicketFactory(actor=agent_alice, title=f"工单{i}")
    login(client, agent_alice)
    response = client.get(reverse("tickets:queue"), {"scope": "team"}, **hx("queue-results"))
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="queue-results"')
    assert "<html" not in body and 'id="queue-tabs"' not in body
    assert body.count("<tr class=") == 25
    more = re.search(r'<a class="btn" href="([^"]+)" hx-get="([^"]+)"', body)
    assert more and more.group(1) == more.group(2) and "cursor=" in more.group(1)
    page2 = client.get(reverse("tickets:queue") + more.group(1).replace("&amp;", "&"), **hx("queue-more")).content.decode()
    assert page2.count("<tr class=") == 5
    assert "<table" not in page2 and 'id="queue-more"' not in page2  # last page: no further link
    # no ticket shown twice across pages
    numbers = re.findall(r"GD\d{8}-\d{6}", body) + re.findall(r"GD\d{8}-\d{6}", page2)
    assert len(set(numbers)) == 30


def test_queue_tabs_partial_counts(client, agent_alice):
    TicketFactory(actor=agent_alice, assignee=agent_alice)
    login(client, agent_alice)
    response = client.get(reverse("tickets:queue_tabs") + "?scope=mine", **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<nav id="queue-tabs"')
    assert '<span class="count">1</span>' in body


def test_all_tab_only_for_supervisors(client, agent_alice, manager_mike, qa_quinn):
    login(client, agent_alice)
    assert "scope=all" not in client.get(reverse("tickets:queue")).content.decode()
    for user in (manager_mike, qa_quinn):
        login(client, user)
        assert "scope=all" in client.get(reverse("tickets:queue")).content.decode()


def _queue_queries(client, django_assert_num_queries, n: int) -> None:
    with django_assert_num_queries(n):
        assert client.get(reverse("tickets:queue") + "?scope=team").status_code == 200


def test_queue_query_count_is_pinned_and_flat(client, agent_alice, customer_wang, django_assert_num_queries):
    login(client, agent_alice)
    TicketFactory(actor=agent_alice, customer=customer_wang, assignee=agent_alice)
    # session, user, tab counts, one page of tickets, the team and assignee filter choices,
    # plus 2 for the SLA badges (the page's TicketSla rows, the SLA configuration token)
    _queue_queries(client, django_assert_num_queries, 8)
    for i in range(30):
        TicketFactory(actor=agent_alice, title=f"工单{i}", customer=customer_wang, assignee=agent_alice if i % 2 else None)
    _queue_queries(client, django_assert_num_queries, 8)


# --- ticket page -----------------------------------------------------------------------------------


def test_ticket_page_shows_fields_timeline_and_customer(client, ticket, agent_alice):
    login(client, agent_alice)
    body = client.get(detail_url(ticket)).content.decode()
    assert ticket.number in body and "宽带无法上网" in body and "晚上八点以后断线" in body
    for region in ("ticket-header", "ticket-timeline", "ticket-compose", "ticket-actions", "ticket-customer"):
        assert f'id="{region}"' in body


def test_ticket_page_masks_contacts_for_agents(client, ticket, agent_alice, manager_mike):
    login(client, agent_alice)
    body = client.get(detail_url(ticket)).content.decode()
    assert "138****1234" in body and "13812341234" not in body
    assert "110101199001011234" not in body
    login(client, manager_mike)
    body = client.get(detail_url(ticket)).content.decode()
    assert "13812341234" in body and "110101199001011234" in body


def test_ticket_text_is_escaped(client, agent_alice, customer_wang):
    t = TicketFactory(actor=agent_alice, title="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>\n第二行",
                      customer=customer_wang)
    login(client, agent_alice)
    client.post(detail_url(t, "reply"), {"kind": "reply", "body": "<script>alert(3)</script>"})
    body = client.get(detail_url(t)).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(2)&gt;<br>第二行" in body
    queue = client.get(reverse("tickets:queue") + "?scope=team").content.decode()
    assert "<script>alert" not in queue and "&lt;script&gt;alert(1)" in queue


def test_reply_plain_post_redirects_and_saves(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "您好，已为您处理。"})
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)
    message = TicketMessage.objects.get(ticket=ticket)
    assert message.kind == MessageKind.REPLY and message.author == agent_alice
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.first_response_at is not None


def test_reply_htmx_returns_fresh_compose_and_event(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.post(detail_url(ticket, "reply"), {"kind": "note", "body": "内部备注：客户很急"}, **hx("ticket-compose"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="ticket-compose"') and "<html" not in body
    assert "内部备注：客户很急" not in body  # the box is empty again
    assert "ticketUpdated" in response["HX-Trigger"]
    assert TicketMessage.objects.get(ticket=ticket).kind == MessageKind.NOTE


def test_reply_with_attachment_and_status(client, ticket, agent_alice):
    login(client, agent_alice)
    upload = SimpleUploadedFile("截图.png", PNG, content_type="image/png")
    response = client.post(
        detail_url(ticket, "reply"), {"kind": "reply", "body": "请查看附件", "status": "pending_customer", "attachments": [upload]}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING_CUSTOMER
    att = TicketAttachment.objects.get(ticket=ticket)
    assert att.document.name == "截图.png" and att.message is not None
    body = client.get(detail_url(ticket)).content.decode()
    assert reverse("tickets:attachment", kwargs={"number": ticket.number, "attachment_id": att.pk}) in body
    assert "/media/" not in body


def test_reply_refuses_bad_input_and_saves_nothing(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "   "}, **hx("ticket-compose"))
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    bad_file = SimpleUploadedFile("evil.html", b"<script>x</script>", content_type="text/html")
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "看附件", "attachments": [bad_file]})
    assert response.status_code == 422
    assert "form-errors" in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_reply_error_messages_are_chinese(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": ""})
    assert "这个字段是必填项。" in response.content.decode()


def test_qa_reads_but_cannot_reply(client, ticket, qa_quinn):
    login(client, qa_quinn)
    body = client.get(detail_url(ticket)).content.decode()
    assert 'action="/tickets/' not in body.split('id="ticket-compose"')[1].split("</section>")[0]
    response = client.post(detail_url(ticket, "reply"), {"kind": "reply", "body": "我来回复"})
    assert response.status_code == 422
    assert not TicketMessage.objects.exists()


def test_claim_and_return(client, agent_alice, teammate_bob):
    t = TicketFactory(actor=teammate_bob, title="待认领")
    login(client, agent_alice)
    response = client.post(detail_url(t, "assign"), {"claim": "1"}, **hx("ticket-actions"))
    assert response.status_code == 204
    assert "ticketUpdated" in response["HX-Trigger"]
    t.refresh_from_db()
    assert t.assignee == agent_alice and t.status == TicketStatus.ASSIGNED
    response = client.post(detail_url(t, "assign"), {"assignee": ""})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.assignee is None


def test_agent_cannot_assign_a_teammate(client, agent_alice, teammate_bob):
    t = TicketFactory(actor=agent_alice, title="分派")
    login(client, agent_alice)
    response = client.post(detail_url(t, "assign"), {"assignee": str(teammate_bob.pk)}, **hx("ticket-actions"))
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<section id="ticket-actions"')
    t.refresh_from_db()
    assert t.assignee is None


def test_lead_assigns_a_teammate(client, lead_linda, teammate_bob, agent_alice):
    t = TicketFactory(actor=agent_alice, title="分派")
    login(client, lead_linda)
    body = client.get(detail_url(t)).content.decode()
    assert "鲍勃" in body  # the lead's picker lists the team
    assert client.post(detail_url(t, "assign"), {"assignee": str(teammate_bob.pk)}).status_code == 302
    t.refresh_from_db()
    assert t.assignee == teammate_bob


def test_status_change_allowed_and_refused(client, agent_alice):
    t = TicketFactory(actor=agent_alice, assignee=agent_alice)
    login(client, agent_alice)
    body = client.get(detail_url(t)).content.decode()
    status_form = body.split(f'action="{detail_url(t, "status")}"')[1].split("</form>")[0]
    assert 'value="in_progress"' in status_form and 'value="assigned"' not in status_form
    assert client.post(detail_url(t, "status"), {"status": "resolved"}, **HX).status_code == 204
    t.refresh_from_db()
    assert t.status == TicketStatus.RESOLVED
    # pending customer is not a target from resolved: refused with the form error, nothing changes
    response = client.post(detail_url(t, "status"), {"status": "pending_customer"}, **hx("ticket-actions"))
    assert response.status_code == 422
    t.refresh_from_db()
    assert t.status == TicketStatus.RESOLVED


def test_priority_change(client, ticket, agent_alice):
    login(client, agent_alice)
    assert client.post(detail_url(ticket, "priority"), {"priority": "urgent", "reason": "媒体曝光"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert client.post(detail_url(ticket, "priority"), {"priority": "bogus"}).status_code == 422


def test_transfer_needs_a_reason(client, ticket, agent_alice, aftersales_team, outsider_charlie):
    login(client, agent_alice)
    response = client.post(detail_url(ticket, "transfer"), {"to_team": aftersales_team.pk, "reason": "  "}, **hx("ticket-actions"))
    assert response.status_code == 422
    assert not TicketTransfer.objects.exists()
    response = client.post(
        detail_url(ticket, "transfer"), {"to_team": aftersales_team.pk, "to_user": outsider_charlie.pk, "reason": "需要上门检测"}
    )
    assert response.status_code == 302
    transfer = TicketTransfer.objects.get(ticket=ticket)
    assert transfer.to_team == aftersales_team and transfer.to_user == outsider_charlie and transfer.reason == "需要上门检测"
    ticket.refresh_from_db()
    assert ticket.owner == agent_alice  # 首问负责人 stays
    # the owner still sees the ticket after it went elsewhere
    assert client.get(detail_url(ticket)).status_code == 200


def test_edit_tags(client, ticket, agent_alice):
    login(client, agent_alice)
    assert client.post(detail_url(ticket, "tags"), {"tags": "退款，加急 VIP"}).status_code == 302
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["VIP", "加急", "退款"]


def test_link_and_merge(client, agent_alice, lead_linda):
    a = TicketFactory(actor=agent_alice, title="重复投诉一")
    b = TicketFactory(actor=agent_alice, title="重复投诉二")
    login(client, agent_alice)
    assert client.post(detail_url(a, "link"), {"other_number": b.number.lower(), "kind": "related"}).status_code == 302
    assert TicketLink.objects.filter(from_ticket=a, to_ticket=b).exists()
    response = client.post(detail_url(a, "link"), {"other_number": "GD20990101-000001", "kind": "related"}, **HX)
    assert response.status_code == 422
    # agents may not merge
    assert client.post(detail_url(a, "merge"), {"target_number": b.number}).status_code == 422
    login(client, lead_linda)
    response = client.post(detail_url(a, "merge"), {"target_number": b.number}, **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == detail_url(b)
    a.refresh_from_db()
    assert a.merged_into == b and a.status == TicketStatus.CLOSED


def test_region_reload_returns_only_that_partial(client, ticket, agent_alice):
    login(client, agent_alice)
    for region in ("ticket-header", "ticket-timeline", "ticket-actions", "ticket-customer"):
        body = client.get(detail_url(ticket), **hx(region)).content.decode()
        assert body.lstrip().startswith(f'<section id="{region}"'), region
        assert "<html" not in body


# --- intake ----------------------------------------------------------------------------------------


def test_intake_new_customer_assigned_to_me(client, agent_alice, category_billing):
    login(client, agent_alice)
    assert client.get(reverse("tickets:new")).status_code == 200
    response = client.post(reverse("tickets:new"), {
        "phone": "139 0000 1111", "customer_name": "李娜", "title": "账单多扣了50元", "description": "三月账单",
        "kind": "complaint", "category": category_billing.pk, "priority": "high", "channel": "phone", "assign": "me",
    })
    t = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(t)
    assert t.customer.name == "李娜" and t.contact_phone == "13900001111"
    assert t.assignee == agent_alice and t.owner == agent_alice and t.category == category_billing
    assert CustomerPhone.objects.get(customer=t.customer).number == "13900001111"


def test_intake_matches_existing_customer_and_leaves_in_team_queue(client, agent_alice, customer_wang, front_team):
    login(client, agent_alice)
    client.post(reverse("tickets:new"), {
        "phone": "+8613812341234", "title": "咨询套餐", "kind": "inquiry", "priority": "normal", "channel": "phone", "assign": "team",
    })
    t = Ticket.objects.get()
    assert t.customer == customer_wang and t.assignee is None and t.team == front_team
    assert Customer.objects.count() == 1


def test_intake_bad_input_shows_chinese_errors_and_saves_nothing(client, agent_alice):
    login(client, agent_alice)
    response = client.post(reverse("tickets:new"), {
        "phone": "12ab", "customer_name": "新客户", "title": "", "kind": "nope", "priority": "normal", "channel": "phone", "assign": "me",
    })
    assert response.status_code == 422
    body = response.content.decode()
    assert "这个字段是必填项。" in body
    assert not Ticket.objects.exists() and not Customer.objects.exists()
    response = client.post(reverse("tickets:new"), {
        "phone": "12ab", "customer_name": "新客户", "title": "有标题", "kind": "inquiry", "priority": "normal", "channel": "phone", "assign": "me",
    })
    assert response.status_code == 422
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_intake_inactive_category_rolls_back_the_new_customer(client, agent_alice):
    from kefu.tickets.models import Category

    cat = CategoryFactory(name="停用")
    Category.objects.filter(pk=cat.pk).update(is_active=False)
    login(client, agent_alice)
    response = client.post(reverse("tickets:new"), {
        "phone": "13700000000", "title": "标题", "kind": "inquiry", "category": cat.pk, "priority": "normal", "channel": "phone", "assign": "me",
    })
    assert response.status_code == 422
    assert not Customer.objects.exists()


def test_intake_for_a_customer_from_their_page(client, agent_alice, customer_wang):
    login(client, agent_alice)
    body = client.get(reverse("tickets:new") + f"?customer={customer_wang.pk}").content.decode()
    assert "王小明" in body and "13812341234" not in body
    client.post(reverse("tickets:new"), {
        "customer_id": customer_wang.pk, "title": "回访", "kind": "inquiry", "priority": "normal", "channel": "phone", "assign": "me",
    })
    assert Ticket.objects.get().customer == customer_wang


# --- search and overview ---------------------------------------------------------------------------


def test_search_by_number_goes_straight_to_the_ticket(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.get(reverse("tickets:search"), {"q": ticket.number.lower()})
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)


def test_search_number_of_invisible_ticket_finds_nothing(client, ticket, outsider_charlie):
    login(client, outsider_charlie)
    response = client.get(reverse("tickets:search"), {"q": ticket.number})
    assert response.status_code == 200 and detail_url(ticket) not in response.content.decode()


def test_search_by_phone_lists_customer_and_tickets(client, ticket, agent_alice):
    login(client, agent_alice)
    body = client.get(reverse("tickets:search"), {"q": "138-1234-1234"}).content.decode()
    assert ticket.number in body and "王小明" in body and "138****1234" in body and "13812341234" not in body


def test_search_by_chinese_words_and_name(client, ticket, agent_alice):
    TicketFactory(actor=agent_alice, title="发票开错了")
    login(client, agent_alice)
    body = client.get(reverse("tickets:search"), {"q": "断线"}).content.decode()
    assert ticket.number in body and "发票开错了" not in body
    body = client.get(reverse("tickets:search"), {"q": "王小明"}).content.decode()
    assert ticket.number in body
    assert client.get(reverse("tickets:search"), {"q": ""}).status_code == 200


def test_overview(client, agent_alice, manager_mike):
    TicketFactory(actor=agent_alice, priority=Priority.URGENT)
    TicketFactory(actor=agent_alice, assignee=agent_alice)
    login(client, manager_mike)
    response = client.get(reverse("tickets:overview"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "一线客服" in body and '<progress max="2" value="1">' in body


def test_pages_render_in_english_too(client, ticket, agent_alice):
    login(client, agent_alice)
    response = client.get(detail_url(ticket), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and '<html lang="en">' in response.content.decode()


def test_ticket_page_query_count_does_not_grow_with_the_timeline(client, ticket, agent_alice, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.tickets.services import ticket_add_message

    login(client, agent_alice)
    with CaptureQueriesContext(connection) as first:
        assert client.get(detail_url(ticket)).status_code == 200
    for i in range(10):
        ticket_add_message(actor=agent_alice, number=ticket.number, kind="reply" if i % 2 else "note", body=f"第{i}条",
                           uploads=[Upload(name=f"f{i}.png", content=PNG + bytes([i]))])
        TicketFactory(actor=agent_alice, title=f"历史{i}", customer=ticket.customer)
    with django_assert_max_num_queries(len(first.captured_queries) + 2):
        assert client.get(detail_url(ticket)).status_code == 200


def test_reply_with_refused_status_saves_nothing(client, agent_alice, django_capture_on_commit_callbacks):
    t = TicketFactory(actor=agent_alice, title="未分派")  # new, unassigned: "assigned" needs an assignee first
    login(client, agent_alice)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(detail_url(t, "reply"), {"kind": "note", "body": "备注", "status": "assigned"})
    assert response.status_code == 422
    assert not TicketMessage.objects.exists() and not callbacks
    t.refresh_from_db()
    assert t.status == TicketStatus.NEW


def test_hx_trigger_is_ascii_json_even_with_chinese_toasts(client, agent_alice, settings):
    import json

    from kefu.tests.factories import TicketFactory

    settings.LANGUAGE_CODE = "zh-hans"
    t = TicketFactory(actor=agent_alice)
    login(client, agent_alice)
    response = client.post(reverse("tickets:reply", args=[t.number]), {"kind": "note", "body": "内部"}, HTTP_HX_REQUEST="true")
    header = response["HX-Trigger"]
    assert header.isascii()
    assert "ticketUpdated" in json.loads(header)
