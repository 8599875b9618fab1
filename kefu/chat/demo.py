"""Demo chats: one the bot answered and the visitor rated, one with an agent, one waiting."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.chat import services


def load_chat_demo(*, agent: User) -> None:
    done = services.visitor_start(name="周先生")
    conv, _new = services.conversation_open(visitor=done, page_url="https://shop.example.com/orders")
    services.visitor_send(visitor=done, conversation_id=conv.pk, body="退款多久能到账？")
    services.visitor_send(visitor=done, conversation_id=conv.pk, body="好的，谢谢")
    services.visitor_end(visitor=done, conversation_id=conv.pk)
    services.visitor_rate(visitor=done, conversation_id=conv.pk, score=5, comment="机器人回答很及时")

    live = services.visitor_start(name="吴女士", phone="13800138000")
    conv, _new = services.conversation_open(visitor=live, page_url="https://shop.example.com/")
    services.visitor_send(visitor=live, conversation_id=conv.pk, body="宽带一直掉线，转人工")
    services.conversation_accept(actor=agent, conversation_id=conv.pk)
    services.agent_send(actor=agent, conversation_id=conv.pk, body="您好，请提供一下宽带账号，我帮您查询线路。")

    waiting = services.visitor_start()
    conv, _new = services.conversation_open(visitor=waiting, page_url="https://shop.example.com/help")
    services.visitor_send(visitor=waiting, conversation_id=conv.pk, body="我要人工客服")
