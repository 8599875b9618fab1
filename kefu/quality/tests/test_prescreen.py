from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.quality.prescreen import CHECKS, prescreen

DATA = Path(__file__).parent / "data" / "conversations.jsonl"
# Floors measured on the labelled set (bench/quality/prescreen_bench.py), set a little under the figures.
FLOORS = {c: (0.95, 0.95) for c in CHECKS}


def checks(text: str, speaker: str = "agent") -> set[str]:
    turns = [{"speaker": speaker, "text": text}]
    if speaker == "agent":
        turns = [{"speaker": "agent", "text": "您好"}, *turns, {"speaker": "agent", "text": "谢谢，再见"}]
    return {f.check for f in prescreen(turns)}


@pytest.mark.parametrize("text,want", [
    ("你是不是傻逼", {"abuse"}), ("你傻 逼吧", {"abuse"}), ("你是SB吗", {"abuse"}), ("你是煞笔吗", {"abuse"}),
    ("你個白癡", {"abuse"}), ("他 妈 的", {"abuse"}), ("滚，别烦我", {"abuse"}),
    ("页面往下滚动一下", set()), ("可能被当成垃圾短信拦截了", set()), ("请把USB线拔掉", set()),
    ("这不归我管", {"forbidden"}), ("這不歸我管", {"forbidden"}), ("爱找谁就找谁", {"forbidden"}),
    ("你 自 己 去 查", {"forbidden"}),
    ("我保证今天给您退款", {"promise"}), ("我保證明天到賬", {"promise"}), ("肯定给您赔偿的", {"promise"}),
    ("我不能保证一定能赔偿", set()), ("我们会尽快为您处理退款", set()),
    ("您的手机号是13812345678", {"leak"}), ("139-0000-1234 已登记", {"leak"}),
    ("身份证号110101199003072316", {"leak"}), ("您的手机号138****5678", set()), ("订单号202612071234567890", set()),
])
def test_agent_rules(text, want):
    assert checks(text) == want


@pytest.mark.parametrize("text,want", [
    ("我要去12315投诉你们", {"threat"}), ("我要找媒体曝光你们", {"threat"}), ("我已经联系律师了", {"threat"}),
    ("气死我了，什么破服务！！", {"anger"}), ("好的，谢谢", set()), ("我不会投诉的，就是问问", set()),
])
def test_customer_emotion(text, want):
    assert checks(text, "customer") == want


def test_greeting_closing_slow_and_spans():
    turns = [
        {"speaker": "customer", "text": "宽带坏了", "at": "2026-11-01T09:00:00"},
        {"speaker": "note", "text": "已转二线", "at": "2026-11-01T09:10:00"},
        {"speaker": "agent", "text": "说吧，电话13812345678", "at": "2026-11-01T09:45:00"},
        {"speaker": "agent", "text": "好了", "at": "2026-11-01T09:46:00"},
    ]
    got = {(f.check, f.turn) for f in prescreen(turns)}
    assert got == {("greeting", 2), ("closing", 3), ("slow", 2), ("leak", 2)}
    assert not [f for f in prescreen(turns, next_response_minutes=60) if f.check == "slow"]
    leak = next(f for f in prescreen(turns) if f.check == "leak")
    assert turns[2]["text"][leak.start:leak.end] == "13812345678" and leak.item == "泄露客户信息"


def test_editable_list():
    turns = [{"speaker": "agent", "text": "您好，亲爱的，谢谢"}]
    assert prescreen(turns) == []
    assert {f.rule for f in prescreen(turns, forbidden="亲爱的\nabuse: 傻逼 / sb")} == {"forbidden"}


def test_labelled_set_meets_floors():
    convs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(convs) >= 200
    counts = {c: [0, 0, 0] for c in CHECKS}
    for conv in convs:
        gold = {(lab["rule"], lab["turn"]) for lab in conv["labels"]}
        got = {(f.check, f.turn) for f in prescreen(conv["turns"], next_response_minutes=conv["next_response_minutes"])}
        for c in CHECKS:
            g, p = {x for x in gold if x[0] == c}, {x for x in got if x[0] == c}
            counts[c][0] += len(g & p)
            counts[c][1] += len(p - g)
            counts[c][2] += len(g - p)
    for c, (tp, fp, fn) in counts.items():
        assert tp / (tp + fp) >= FLOORS[c][0], (c, tp, fp, fn)
        assert tp / (tp + fn) >= FLOORS[c][1], (c, tp, fp, fn)
