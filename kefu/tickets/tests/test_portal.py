from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.customers.models import Customer, CustomerDocument
from kefu.tickets.access import PORTAL_SALT, portal_token
from kefu.tickets.choices import Channel, MessageKind, TicketStatus
from kefu.tickets.models import Ticket, TicketAttachment, TicketMessage
from kefu.tickets.services import Upload, ticket_add_message, ticket_change_status

# A real 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4"
    "3f0000000049454e44ae426082"
)


@pytest.fixture
def en(db) -> Client:
    """A browser that asks for English, so assertions do not depend on the zh_Hans catalogue."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def form_data(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "王小明",
        "phone": "13812341234",
        "email": "",
        "kind": "repair",
        "title": "洗衣机不脱水",
        "description": "买了三个月的洗衣机，昨天开始不脱水。",
    }
    data.update(over)
    return data


def submit(client: Client, **over: object):
    return client.post(reverse("portal:submit"), form_data(**over))


def token_from(response) -> str:
    match = re.match(r"^/portal/t/([^/]+)/submitted/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def test_submit_page_renders_in_chinese_by_default(client):
    response = client.get(reverse("portal:submit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<meta name="referrer" content="same-origin">' in html
    assert 'enctype="multipart/form-data"' in html
    for field in ("name", "phone", "email", "kind", "title", "description", "attachment"):
        assert f'name="{field}"' in html


def test_submit_creates_web_ticket_and_shows_tracking_link(en, front_team, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            en, email="wang@example.com", attachment=SimpleUploadedFile("发票.png", PNG, content_type="image/png")
        )
    assert response.status_code == 302
    token = token_from(response)

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB
    assert ticket.status == TicketStatus.NEW
    assert ticket.team == front_team
    assert ticket.created_by is None
    assert ticket.customer is not None
    assert ticket.customer.name == "王小明"
    assert ticket.customer.email == "wang@example.com"
    assert ticket.contact_phone == "13812341234"
    assert ticket.events.get(kind="created").by_customer is True
    assert ticket.attachments.get().document.name == "发票.png"

    page = en.get(response["Location"])
    html = page.content.decode()
    link = f"http://testserver/portal/t/{token}/"
    assert ticket.number in html
    assert link in html
    assert "only way back to your request" in html
    assert "We also sent this link to wang@example.com" in html

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["wang@example.com"]
    assert ticket.number in mail.subject
    assert link in mail.body


def test_no_mail_without_email(en, front_team, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(en).status_code == 302
    assert mailoutbox == []


def test_second_submission_matches_customer_by_phone(en, front_team):
    first = submit(en, phone="138-1234-1234")
    second = submit(en, phone="+86 138 1234 1234", name="王先生", title="第二个问题")
    assert first.status_code == second.status_code == 302
    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert list(customer.phones.values_list("number", flat=True)) == ["13812341234"]
    assert sorted(customer.tickets.values_list("title", flat=True)) == ["洗衣机不脱水", "第二个问题"]


def test_email_only_submission_is_accepted(en, front_team):
    assert submit(en, phone="", email="li@example.com").status_code == 302
    assert Customer.objects.get().email == "li@example.com"


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"phone": "", "email": ""}, "Give a phone number or an email so that we can reach you."),
        ({"title": ""}, "This field is required."),
        ({"title": "   "}, "This field is required."),
        ({"title": "长" * 201}, "at most 200 characters"),
        ({"description": "字" * 10_001}, "at most 10000 characters"),
        ({"phone": "abc"}, "Enter a valid phone number"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"kind": "lawsuit"}, "Select a valid choice."),
        (
            {"attachment": SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 10, content_type="application/octet-stream")},
            "This file type is not allowed.",
        ),
        (
            # An HTML page dressed up as a picture is refused by its content.
            {"attachment": SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>")},
            "This file type is not allowed.",
        ),
    ],
)
def test_bad_input_shows_errors_keeps_input_and_creates_nothing(en, front_team, over, error):
    response = submit(en, **over)
    assert response.status_code == 422
    html = response.content.decode()
    assert error in html
    assert 'value="王小明"' in html  # what the customer typed is still there
    assert "买了三个月的洗衣机" in html or "description" in over
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert CustomerDocument.objects.count() == 0


def test_too_big_file_is_refused_and_form_kept(en, front_team, settings):
    settings.KEFU_UPLOAD_MAX_BYTES = 1024 * 1024
    big = PNG + b"\0" * (1024 * 1024)
    # The file goes first so that fields after it must still be parsed once the file is dropped.
    data = {"attachment": SimpleUploadedFile("big.png", big, content_type="image/png"), **form_data()}
    response = en.post(reverse("portal:submit"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The file is larger than 1 MB." in html
    assert "洗衣机不脱水" in html
    assert "买了三个月的洗衣机" in html
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_file_error_is_chinese_by_default(client, front_team):
    response = submit(client, attachment=SimpleUploadedFile("a.exe", b"MZ" * 10))
    assert response.status_code == 422
    assert '<html lang="zh-hans">' in response.content.decode()
    assert Ticket.objects.count() == 0


@pytest.fixture
def web_ticket(en, front_team) -> tuple[Ticket, str]:
    response = submit(en, attachment=SimpleUploadedFile("保修卡.png", PNG, content_type="image/png"))
    token = token_from(response)
    return Ticket.objects.get(), token


def track_url(token: str) -> str:
    return reverse("portal:track", args=[token])


def test_tracking_page_shows_public_replies_not_internal_notes(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="师傅明天上午上门检修。")
    ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.NOTE, body="内部：该客户上月也报修过")

    response = en.get(track_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html
    assert "洗衣机不脱水" in html
    assert "买了三个月的洗衣机" in html
    assert "师傅明天上午上门检修。" in html
    assert "Customer service · 艾丽丝" in html
    assert "内部" not in html
    assert "该客户上月也报修过" not in html
    assert "alice" not in html  # staff usernames stay internal
    assert 'data-status="in_progress"' in html
    assert "Being handled" in html
    # Created time in Asia/Shanghai.
    local = timezone.localtime(ticket.created_at).strftime("%Y-%m-%d %H:%M")
    assert local in html
    assert "保修卡.png" in html
    # The token must not leak through Referer, caches or search engines.
    assert '<meta name="referrer" content="same-origin">' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_attachments_of_internal_notes_are_not_listed(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    ticket_add_message(
        actor=agent_alice, number=ticket.number, kind=MessageKind.NOTE, body="内部截图",
        uploads=[Upload(name="内部截图.png", content=PNG + b"note")],
    )
    html = en.get(track_url(token)).content.decode()
    assert "内部截图" not in html


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered signature
        lambda t: "x" + t,  # altered payload
        lambda t: "garbage",
        lambda t: t.split(":")[0],  # signature stripped
    ],
)
def test_forged_or_altered_token_is_a_friendly_404(en, web_ticket, mangle):
    _ticket, token = web_ticket
    bad = mangle(token)
    for url in (track_url(bad), reverse("portal:submitted", args=[bad])):
        response = en.get(url)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert en.post(reverse("portal:reply", args=[bad]), {"body": "hi"}).status_code == 404
    assert en.post(reverse("portal:reopen", args=[bad]), {"reason": "hi"}).status_code == 404


def test_token_with_wrong_key_or_salt_is_refused(en, web_ticket):
    ticket, _token = web_ticket
    # Right signature, wrong portal key: e.g. a link the staff revoked by rotating the key.
    wrong_key = signing.dumps({"t": ticket.pk, "k": "guess"}, salt=PORTAL_SALT, compress=True)
    # A value signed for some other purpose of the site must not open a ticket.
    other_salt = signing.dumps({"t": ticket.pk, "k": ticket.portal_key}, compress=True)
    for bad in (wrong_key, other_salt):
        assert en.get(track_url(bad)).status_code == 404


def test_a_token_never_shows_another_customers_ticket(en, front_team):
    token_a = token_from(submit(en, phone="13900000001", name="甲", title="甲的问题", description="甲的描述"))
    token_b = token_from(
        submit(
            en, phone="13900000002", name="乙", title="乙的问题", description="乙的描述",
            attachment=SimpleUploadedFile("乙的合同.png", PNG, content_type="image/png"),
        )
    )
    html_a = en.get(track_url(token_a)).content.decode()
    assert "甲的问题" in html_a
    assert "乙" not in html_a
    b_attachment = TicketAttachment.objects.get(ticket__title="乙的问题")
    # B's attachment id through A's token: not found.
    assert en.get(reverse("portal:attachment", args=[token_a, b_attachment.pk])).status_code == 404
    assert en.get(reverse("portal:attachment", args=[token_b, b_attachment.pk])).status_code == 200


def test_customer_reply_with_attachment(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="请提供购买凭证")
    ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.PENDING_CUSTOMER)
    response = en.post(
        reverse("portal:reply", args=[token]),
        {"body": "凭证见附件", "attachment": SimpleUploadedFile("凭证.jpg", b"\xff\xd8\xff\xe0" + b"jpg")},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    msg = TicketMessage.objects.get(from_customer=True)
    assert msg.body == "凭证见附件"
    assert msg.attachments.get().document.name == "凭证.jpg"
    html = en.get(response["Location"]).content.decode()
    assert "Your reply was sent." in html
    assert "凭证见附件" in html
    assert "凭证.jpg" in html


def test_customer_reply_errors_show_and_create_nothing(en, web_ticket):
    ticket, token = web_ticket
    response = en.post(reverse("portal:reply", args=[token]), {"body": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = en.post(
        reverse("portal:reply", args=[token]),
        {"body": "看附件", "attachment": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")},
    )
    assert response.status_code == 422
    assert "This file type is not allowed." in response.content.decode()
    assert "看附件" in response.content.decode()
    assert not TicketMessage.objects.filter(ticket=ticket).exists()


def test_reply_reopens_a_resolved_ticket(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="已为您更换电机")
    ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    html = en.get(track_url(token)).content.decode()
    assert 'data-status="resolved"' in html
    assert "Resolved" in html
    assert "Not solved yet?" in html

    response = en.post(reverse("portal:reply", args=[token]), {"body": "还是不脱水"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.reopen_count == 1
    assert ticket.events.filter(kind="reopened", by_customer=True).exists()


def test_reopen_button_within_window(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    response = en.post(reverse("portal:reopen", args=[token]), {"reason": "问题又出现了"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    html = en.get(response["Location"]).content.decode()
    assert "Your request was reopened." in html
    assert "问题又出现了" in html
    # An empty reason is a form error, not a silent reopen.
    ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    assert en.post(reverse("portal:reopen", args=[token]), {"reason": ""}).status_code == 422


def test_reopen_after_the_window_is_refused_with_a_clear_message(en, web_ticket, agent_alice, settings):
    settings.KEFU_REOPEN_DAYS = 7
    ticket, token = web_ticket
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
        traveller.shift(timedelta(days=8))

        html = en.get(track_url(token)).content.decode()
        assert "that time has passed" in html
        assert 'data-portal-reopen' not in html
        assert 'data-portal-reply' not in html
        assert reverse("portal:submit") in html

        response = en.post(reverse("portal:reopen", args=[token]), {"reason": "还是坏的"})
        assert response.status_code == 422
        assert "more than 7 days ago; please submit a new one." in response.content.decode()
        response = en.post(reverse("portal:reply", args=[token]), {"body": "还是坏的"})
        assert response.status_code == 422
        assert "please submit a new one" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert not TicketMessage.objects.filter(ticket=ticket, from_customer=True).exists()


def test_html_in_customer_and_staff_text_is_escaped(en, front_team, agent_alice):
    token = token_from(
        submit(en, name="<b>坏人</b>", title="<script>alert('t')</script>", description="<img src=x onerror=alert(1)>")
    )
    ticket = Ticket.objects.get()
    ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="<iframe src=//evil>")
    html = en.get(track_url(token)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<iframe" not in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;iframe src=//evil&gt;" in html
    submitted = en.get(reverse("portal:submitted", args=[token])).content.decode()
    assert "<script>alert" not in submitted


def test_attachment_download_only_with_a_valid_token(en, web_ticket, agent_alice):
    ticket, token = web_ticket
    att = ticket.attachments.get()
    response = en.get(reverse("portal:attachment", args=[token, att.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Referrer-Policy"] == "same-origin"

    forged = token[:-2] + "zz"
    assert en.get(reverse("portal:attachment", args=[forged, att.pk])).status_code == 404

    ticket_add_message(
        actor=agent_alice, number=ticket.number, kind=MessageKind.NOTE, body="内部",
        uploads=[Upload(name="内部.png", content=PNG + b"note")],
    )
    note_att = ticket.attachments.get(is_public=False)
    assert en.get(reverse("portal:attachment", args=[token, note_att.pk])).status_code == 404
    assert en.get(reverse("portal:attachment", args=[token, 999_999])).status_code == 404


def test_ticket_without_customer_takes_replies_without_attachments(en, agent_alice):
    from kefu.tests.factories import TicketFactory

    ticket = TicketFactory(actor=agent_alice, title="电话登记的工单")
    token = portal_token(ticket)
    html = en.get(track_url(token)).content.decode()
    assert 'name="attachment"' not in html
    response = en.post(
        reverse("portal:reply", args=[token]),
        {"body": "补充说明", "attachment": SimpleUploadedFile("a.png", PNG)},
    )
    assert response.status_code == 302
    assert TicketMessage.objects.get(from_customer=True).attachments.count() == 0


def test_merged_ticket_takes_no_replies(en, front_team, lead_linda):
    from kefu.tickets.services import ticket_merge

    token = token_from(submit(en, title="重复提交"))
    token_from(submit(en, title="原始问题"))
    source = Ticket.objects.get(title="重复提交")
    target = Ticket.objects.get(title="原始问题")
    ticket_merge(actor=lead_linda, source_number=source.number, target_number=target.number)
    html = en.get(track_url(token)).content.decode()
    assert "This request was merged" in html
    assert "data-portal-reply" not in html
    assert target.number not in html


def test_reopen_of_an_open_ticket_says_why(en, web_ticket):
    _ticket, token = web_ticket
    response = en.post(reverse("portal:reopen", args=[token]), {"reason": "再看看"})
    assert response.status_code == 422
    assert "The ticket is still open." in response.content.decode()
