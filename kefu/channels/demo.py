"""Email-channel demo data (邮件渠道演示数据): a local maildir mailbox under KEFU_DATA_DIR (no mail
server needed) with a few Chinese mails as they really arrive, taken in through the real intake.
Replies agents write on those tickets are written as .eml files to KEFU_DATA_DIR/outbox/channels.
Drop more mails into data/demo-mailbox/new and `kefu channels_fetch` (or the clock) takes them in."""

from __future__ import annotations

import base64
import mailbox
from pathlib import Path

from django.conf import settings

from kefu.accounts.models import Team, User
from kefu.channels.models import ChannelAccount
from kefu.channels.services import AccountInput, account_fetch_now, account_save
from kefu.channels.wechat_demo import load_wechat_demo


def _b(text: str, cs: str, py: str | None = None) -> str:
    return f"=?{cs}?B?{base64.b64encode(text.encode(py or cs)).decode()}?="


# Tickets the demo mailbox opens (three mails; the auto-reply and the unreadable one open none).
DEMO_MAIL_TICKETS = 3


def demo_mails() -> list[bytes]:
    head = "To: kefu@demo.kefu\r\nDate: Mon, 07 Dec 2026 09:00:00 +0800\r\nMIME-Version: 1.0\r\n"
    return [
        # Foxmail: GB2312 declared, GBK bytes (喆 is not in GB2312).
        (f"From: {_b('王喆', 'gb2312', 'gbk')} <wangzhe@example.com>\r\nSubject: {_b('账单金额不对', 'gb2312', 'gbk')}\r\n"
         f"Message-ID: <demo-1@example.com>\r\n{head}Content-Type: text/plain; charset=gb2312\r\n\r\n").encode()
        + "您好，我是王喆，本月账单多扣了 30 元，请核实。\r\n\r\n发自我的iPhone\r\n".encode("gb18030"),
        # Big5 from Taiwan.
        (f"From: chen@example.com.tw\r\nSubject: {_b('帳號無法登入', 'big5')}\r\nMessage-ID: <demo-2@example.com>\r\n"
         f"{head}Content-Type: text/plain; charset=big5\r\n\r\n").encode()
        + "您好，我的帳號從昨天開始無法登入，請協助處理。".encode("big5"),
        # HTML only, with a QQ-mail quote.
        (f"From: 李娜 <lina@example.com>\r\nSubject: {_b('快递显示签收但没收到', 'utf-8')}\r\nMessage-ID: <demo-3@example.com>\r\n"
         f"{head}Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode()
        + base64.encodebytes("<p>快递显示昨天已签收，但我<b>没有收到</b>，订单号 DD20261206。</p>"
                             "<blockquote type=\"cite\">------------------ 原始邮件 ------------------</blockquote>".encode()),
        # An out-of-office answer: kept, but opens no ticket.
        (f"From: 赵强 <zhaoqiang@example.com>\r\nSubject: {_b('自动回复：休假中', 'utf-8')}\r\nAuto-Submitted: auto-replied\r\n"
         f"Message-ID: <demo-4@example.com>\r\n{head}Content-Type: text/plain; charset=utf-8\r\n\r\n").encode()
        + "我正在休假，12月10日回来。".encode(),
        # Not a mail at all: lands in the "could not process" list.
        b"\r\n\r\n",
    ]


def load_channels_demo(*, manager: User) -> ChannelAccount:
    # Beside the media folder (KEFU_DATA_DIR/media in a deployment; a temporary one in tests).
    data_dir = Path(settings.MEDIA_ROOT).parent
    path = data_dir / "demo-mailbox"
    box = mailbox.Maildir(str(path), create=True)
    for raw in demo_mails():
        box.add(raw)
    box.close()
    account = account_save(
        actor=manager,
        data=AccountInput(
            name="演示邮箱 kefu@demo.kefu",
            config={"source": "maildir", "maildir_path": str(path), "from_address": "kefu@demo.kefu",
                    "from_name": "客服中心", "outbox_path": str(data_dir / "outbox" / "channels")},
            team=Team.objects.filter(is_default=True).first(),
        ),
    )
    account_fetch_now(account=account)
    load_wechat_demo(manager=manager)
    return account
