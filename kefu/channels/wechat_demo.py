"""WeChat demo data (微信渠道演示数据): a paused Official Account with fake secrets (it reaches no
server) and a few messages taken in through the real callback path — a customer's question that
opens a WeChat ticket, the phone number they sent (a claim waiting on 渠道 → 微信手机号认领), and a
follower's subscribe event and question. Called from kefu/channels/demo.py."""

from __future__ import annotations

import time

from kefu.accounts.models import Team, User
from kefu.channels import wechat
from kefu.channels.models import ChannelAccount
from kefu.channels.wechat_services import WechatAccountInput, account_save, callback_receive, contact_process

DEMO_TOKEN = "demo-callback-token"
DEMO_AES = "DemoKeyNotRealDemoKeyNotRealDemoKeyNotReal0"  # 43 characters, fake
DEMO_APPID = "wxdemo0000000000"
# WeChat tickets the demo opens (one per demo follower).
DEMO_WECHAT_TICKETS = 2


def _signed(plain: bytes, n: int) -> tuple[bytes, dict[str, str]]:
    ts, nonce = str(int(time.time())), f"demo{n}"
    enc = wechat.encrypt(plain, encoding_aes_key=DEMO_AES, receive_id=DEMO_APPID)
    body = wechat.build_xml({"ToUserName": "gh_demo", "Encrypt": enc})
    return body, {"msg_signature": wechat.signature(DEMO_TOKEN, ts, nonce, enc), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes"}


def load_wechat_demo(*, manager: User) -> ChannelAccount:
    account = account_save(actor=manager, data=WechatAccountInput(
        name="演示公众号（已停用）", platform="oa", app_id=DEMO_APPID, api_base="http://127.0.0.1:9",
        app_secret="demo-not-a-real-secret", token=DEMO_TOKEN, aes_key=DEMO_AES,
        team=Team.objects.filter(is_default=True).first(), is_active=False,
    ))
    now = int(time.time())
    a, b = "oDemoUser000000000000000001", "oDemoUser000000000000000002"
    messages: list[dict[str, str | int]] = [
        {"FromUserName": a, "CreateTime": now - 600, "MsgType": "text", "Content": "你好，我在公众号商城下的订单三天了还显示待发货，订单号 WX20261205001。", "MsgId": 900001},
        {"FromUserName": a, "CreateTime": now - 540, "MsgType": "text", "Content": "13800138000", "MsgId": 900002},
        {"FromUserName": b, "CreateTime": now - 300, "MsgType": "event", "Event": "subscribe", "EventKey": ""},
        {"FromUserName": b, "CreateTime": now - 240, "MsgType": "text", "Content": "请问会员积分怎么兑换话费？", "MsgId": 900003},
    ]
    for n, m in enumerate(messages):
        body, query = _signed(wechat.build_xml({"ToUserName": "gh_demo", **m}), n)
        received = callback_receive(account=account, body=body, query=query)
        if received.created and received.contact is not None:
            contact_process(contact_id=received.contact.pk)
    return account
