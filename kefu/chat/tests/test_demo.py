from __future__ import annotations

import pytest

from kefu.chat.choices import ConversationStatus
from kefu.chat.models import Conversation
from kefu.demo.seed import demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_rated_bot_chat_an_agents_chat_and_one_waiting():
    demo_load(tickets=30, customers=20, workforce=False)
    convs = list(Conversation.objects.order_by("id"))
    assert [c.status for c in convs] == [
        ConversationStatus.ENDED,
        ConversationStatus.ACTIVE,
        ConversationStatus.WAITING,
    ]
    assert convs[0].rating == 5 and convs[1].assignee.username == "agent1"
    # Two demo articles cover refunds: the bot answers or offers both ("你是不是想问…").
    assert convs[0].messages.filter(sender="bot", meta__kind__in=["answer", "choices"]).exists()
