from __future__ import annotations

from pathlib import Path

import pytest

from kefu.accounts.models import User
from kefu.channels.models import ChannelAccount
from kefu.channels.services import AccountInput, account_save

MAIL_DIR = Path(__file__).parent / "mail"


@pytest.fixture
def mailbox_account(manager_mike: User, front_team, tmp_path) -> ChannelAccount:
    """A maildir mailbox (no server) whose replies go to an outbox folder."""
    return account_save(
        actor=manager_mike,
        data=AccountInput(
            name="客服邮箱",
            config={"source": "maildir", "maildir_path": str(tmp_path / "Maildir"), "from_address": "kefu@example.cn",
                    "from_name": "客服中心", "outbox_path": str(tmp_path / "outbox")},
            secret="s3cret-pass",
            team=front_team,
        ),
    )


def eml(
    *, subject: str = "咨询订单", body: str = "你好，我的订单还没到。", frm: str = "王小明 <wang@example.com>",
    message_id: str = "<m1@example.com>", headers: str = "", charset: str = "utf-8",
) -> bytes:
    head = f"From: {frm}\r\nTo: kefu@example.cn\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n{headers}"
    head += f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return head.encode("utf-8") + body.encode(charset if charset != "gb2312" else "gb18030")
