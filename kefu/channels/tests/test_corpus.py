"""Chinese mail as it really arrives: every message of the corpus in ./mail is parsed and taken in
through the real intake (database, customer, ticket, upload checks).

Each entry: subject (exact), text the body must hold and must not hold, attachments that pass the
upload checks, attachments refused (kept listed on the contact), and the noise reason ("" = a
real mail that opens a ticket)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.channels import mailparse
from kefu.channels.choices import ContactStatus
from kefu.channels.services import contact_receive
from kefu.tickets.models import Ticket, TicketAttachment

MAIL = Path(__file__).parent / "mail"

# name: (subject, body has, body has not, attached, refused, noise)
CORPUS: dict[str, tuple[str, list[str], list[str], list[str], list[str], str]] = {
    "01_gb2312_declared_gbk_bytes": ("朱镕基同名用户喆的账单", ["王喆"], ["\ufffd"], [], [], ""),
    "02_gb2312_quoted_printable": ("退款进度", ["20261207001"], [], [], [], ""),
    "03_gb2312_declared_gb18030_four_byte": ("生僻字䶮的姓名无法登记", ["䶮字"], ["\ufffd"], [], [], ""),
    "04_big5": ("帳號無法登入", ["請協助處理"], [], [], [], ""),
    "05_big5_declared_hkscs_bytes": ("查詢維修進度", ["壞咗", "嘅"], ["\ufffd"], [], [], ""),
    "06_subject_split_inside_a_character": ("发票开错了需要重开", ["发票抬头"], [], [], [], ""),
    "07_subject_without_closing": ("快递丢件投诉", ["签收"], [], [], [], ""),
    "08_subject_raw_gbk_bytes": ("会员积分没有到账", ["积分"], [], [], [], ""),
    "09_subject_raw_utf8_bytes": ("优惠券无法使用", ["优惠券"], [], [], [], ""),
    "10_subject_bad_base64_padding": ("预约上门安装", ["空调"], [], [], [], ""),
    "11_utf8_declared_gbk_bytes": ("修改收货地址", ["海淀区"], ["\ufffd"], [], [], ""),
    "12_filename_rfc2047_in_quotes": ("发票附件", ["附件"], [], ["电子发票.pdf"], [], ""),
    "13_filename_rfc2231_gbk": ("合同扫描件", ["合同"], [], ["购销合同（盖章）.pdf"], [], ""),
    "14_filename_raw_gbk_bytes": ("截图", ["报错截图"], [], ["报错截图.png"], [], ""),
    "15_html_only_with_script": ("网页版无法支付", ["无法付款", "一直转圈"], ["alert", "<", "color:red"], [], [], ""),
    "16_html_outlook_reply_quote": ("答复: 维修单进度", ["五天"], ["我们已受理", "发件人"], [], [], ""),
    "17_html_gmail_quote": ("Re: 退货申请", ["SF1234567890"], ["请提供快递单号", "wrote"], [], [], ""),
    "18_qq_original_mail_quote": ("回复：账户冻结", ["解冻"], ["原始邮件", "请提交身份证照片"], [], [], ""),
    "19_wrote_quote": ("Re: 积分兑换", ["还没发货"], ["写道", "耐心等待"], [], [], ""),
    "20_outlook_from_block": ("答复: 发票", ["收到了"], ["发票已寄出", "发送时间"], [], [], ""),
    "21_dash_signature": ("投诉安装师傅", ["三个小时"], ["010-12345678"], [], [], ""),
    "22_sent_from_iphone": ("手机屏幕碎了能保修吗", ["保修期"], ["iPhone"], [], [], ""),
    "23_inline_image_related": ("产品外观划痕", ["划痕"], ["cid:"], ["scratch.png"], [], ""),
    "24_winmail_dat": ("报价单", ["报价单请查收", "winmail.dat"], [], [], ["winmail.dat"], ""),
    "25_executable_attachment": ("安装程序打不开", ["安装程序"], [], [], ["setup.exe"], ""),
    "26_alternative_text_and_html": ("会员续费", ["纯文本"], ["HTML："], [], [], ""),
    "27_forwarded_message_attached": ("转发：之前的投诉", ["一直没人回复"], ["旧投诉内容"], [], ["attached.eml"], ""),
    "28_auto_submitted_chinese_autoreply": ("自动回复：您的邮件已收到", [], [], [], [], "auto_submitted"),
    "29_exchange_out_of_office": ("自动答复: 维修单", [], [], [], [], "autoreply"),
    "30_bounce_delivery_status": ("Undelivered Mail Returned to Sender", [], [], [], [], "bounce"),
    "31_precedence_bulk_newsletter": ("双十二大促", [], [], [], [], "precedence"),
    "32_x_autoreply_163": ("Re: 回复", [], [], [], [], "autoreply"),
    "33_mailing_list": ("[讨论] 周报", [], [], [], [], "list"),
    "34_no_message_id": ("没有编号的邮件", ["Message-ID"], [], [], [], ""),
    "35_no_charset_gbk_bytes": ("密码重置", ["验证码"], ["\ufffd"], [], [], ""),
    "36_unknown_charset_label": ("发货时间", ["什么时候发货"], [], [], [], ""),
    "37_utf8_text_attachment": ("订单清单", ["清单见附件"], [], ["订单清单.txt"], [], ""),
    "38_reply_to_differs": ("在线留言：咨询加盟", ["加盟条件"], [], [], [], ""),
    "39_html_only_gbk_with_entities": ("话费充值未到账", ["充值 100 元未到账…", "138****1234"], ["&nbsp;", "&#42;"], [], [], ""),
    "40_empty_body_with_attachment": ("", [], [], ["receipt.pdf"], [], ""),
}


def test_the_corpus_has_every_file_and_at_least_30() -> None:
    assert sorted(p.stem for p in MAIL.glob("*.eml")) == sorted(CORPUS)
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_parse(name: str) -> None:
    subject, has, has_not, attached, refused, noise = CORPUS[name]
    mail = mailparse.parse((MAIL / f"{name}.eml").read_bytes())
    assert mail.subject == subject
    assert mail.noise == noise
    for text in has:
        if text not in refused:
            assert text in mail.body
    for text in has_not:
        assert text not in mail.body
    assert sorted(a.name for a in mail.attachments) == sorted(attached + refused)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_intake(name: str, mailbox_account) -> None:
    subject, has, has_not, attached, refused, noise = CORPUS[name]
    contact, created = contact_receive(account=mailbox_account, raw=(MAIL / f"{name}.eml").read_bytes())
    assert created
    if noise:
        assert contact.status == ContactStatus.IGNORED and contact.reason == noise
        assert Ticket.objects.count() == 0
        return
    assert contact.status == ContactStatus.PROCESSED, contact.error
    ticket = contact.ticket
    assert ticket is not None and contact.opened_ticket
    assert ticket.title == (mailparse.strip_subject(subject) or ticket.title)
    for text in has:
        assert text in ticket.description
    for text in has_not:
        assert text not in ticket.description
    assert sorted(a.document.name for a in TicketAttachment.objects.filter(ticket=ticket).select_related("document")) == sorted(attached)
    assert sorted(r["name"] for r in contact.refused_attachments) == sorted(refused)
    if name == "38_reply_to_differs":
        assert ticket.customer.email == "liuyang@example.com"
    if name == "34_no_message_id":
        assert contact.external_id.startswith("sha256:")
        assert not contact_receive(account=mailbox_account, raw=(MAIL / f"{name}.eml").read_bytes())[1]


@pytest.mark.django_db
def test_a_30_mb_attachment_is_refused_and_the_mail_still_opens_a_ticket(mailbox_account) -> None:
    import base64

    big = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    raw = (
        b"From: a@example.com\r\nSubject: =?utf-8?B?" + base64.b64encode("大附件".encode()) + b"?=\r\n"
        b"Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "见附件".encode() + b"\r\n--b\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(big) + b"--b--\r\n"
    )
    contact, _ = contact_receive(account=mailbox_account, raw=raw)
    assert contact.status == ContactStatus.PROCESSED
    assert [r["code"] for r in contact.refused_attachments] == ["upload_too_large"]
    assert contact.raw_truncated and contact.raw_size == len(raw)
    assert "big.pdf" in contact.ticket.description
