"""A small generated Chinese history: four categories with their own words, complaints that say
投诉/曝光, urgent tickets that say 紧急, and each category handled by its team."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from kefu.tests.factories import CategoryFactory, TicketFactory
from kefu.tickets.choices import Channel, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Ticket

TOPICS = {
    "账单": ["话费扣款不对", "账单金额有误", "多扣了月租费", "套餐费用重复扣费", "发票金额不对"],
    "宽带": ["宽带无法上网", "光猫红灯闪烁", "网速很慢经常断线", "路由器连不上网络", "宽带掉线"],
    "物流": ["快递一直没有送到", "包裹显示签收但没收到", "物流信息不更新", "配送员态度问题送错地址", "订单发货太慢"],
    "账号": ["账号被锁定无法登录", "忘记密码收不到验证码", "手机号换绑失败", "实名认证不通过", "登录提示账号异常"],
}
TAILS = ["请尽快处理", "麻烦帮忙看一下", "已经好几天了", "谢谢", "希望给个说法"]


def on_commit() -> TestCase:
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def categories(db):
    return {name: CategoryFactory(name=name) for name in TOPICS}


@pytest.fixture
def teams(front_team, aftersales_team):
    # 账单 and 账号 stay in the front line; 宽带 and 物流 go to after-sales.
    return {"账单": front_team, "账号": front_team, "宽带": aftersales_team, "物流": aftersales_team}


def text_for(topic: str, rng: random.Random, *, complaint: bool = False, urgent: bool = False) -> tuple[str, str]:
    title = rng.choice(TOPICS[topic])
    parts = [rng.choice(TOPICS[topic]), rng.choice(TAILS)]
    if complaint:
        parts.insert(0, rng.choice(["我要投诉", "再不解决就投诉", "服务太差要投诉曝光"]))
    if urgent:
        parts.insert(0, rng.choice(["紧急", "非常紧急马上处理", "急"]))
    return title, "，".join(parts)


def make_history(actor, categories, teams, *, n: int = 120, seed: int = 7, closed: bool = True) -> list[Ticket]:
    """`n` handled tickets spread over the last 60 days, oldest first."""
    rng = random.Random(seed)
    now = timezone.now()
    out = []
    names = list(TOPICS)
    for i in range(n):
        topic = names[i % len(names)]
        complaint = rng.random() < 0.3
        urgent = rng.random() < 0.25
        title, description = text_for(topic, rng, complaint=complaint, urgent=urgent)
        ticket = TicketFactory(
            actor=actor, title=title, description=description, category=categories[topic], team=teams[topic],
            kind=TicketKind.COMPLAINT if complaint else TicketKind.INQUIRY,
            priority=Priority.HIGH if urgent else Priority.NORMAL,
            channel=rng.choice([Channel.PHONE, Channel.WEB, Channel.WECHAT]),
        )
        out.append(ticket)
    # History: created over the last 60 days and handled (set directly, as an import would).
    for i, ticket in enumerate(out):
        at = now - timedelta(days=60) + timedelta(hours=i * 10)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=at, status=TicketStatus.CLOSED if closed else TicketStatus.NEW, closed_at=at + timedelta(hours=3) if closed else None,
        )
    return out


@pytest.fixture
def history(manager_mike, categories, teams) -> list[Ticket]:
    return make_history(manager_mike, categories, teams)


@pytest.fixture
def trained(history, manager_mike):
    from kefu.triage.services import triage_train

    return triage_train(actor=manager_mike)


@pytest.fixture
def capture() -> Iterator[None]:
    with on_commit():
        yield
