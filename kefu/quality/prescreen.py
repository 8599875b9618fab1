"""AI 初筛: keyword rules over a contact's Chinese text turns. It flags, it never scores: each finding
names the rule, the scorecard item it points at, the turn and the words that show it.

Rules: 辱骂/脏话 (jieba words, so 滚动 is not 滚), 泄露客户信息 (a full mobile or ID number in an agent's
public reply), 违规承诺 (保证, 一定/肯定 + 赔偿/退款 …), and a missing 礼貌用语 (no 您好/请/谢谢 in any
agent turn)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import jieba

from kefu.quality.choices import Speaker

ABUSE_WORDS = frozenset({
    "傻逼", "煞笔", "傻B", "白痴", "神经病", "有病", "滚", "滚蛋", "去死", "废物", "蠢货", "笨蛋", "他妈的", "妈的",
    "闭嘴", "垃圾", "弱智", "脑残",
})
# Multi-character words jieba might split: matched on the text as well.
ABUSE_PHRASES = ("你有病", "脑子有问题", "他妈的", "去死")
PROMISE_PHRASES = ("保证", "百分之百", "包您满意", "绝对没问题")
PROMISE_LEADS = ("一定", "肯定", "绝对")
PROMISE_OBJECTS = ("赔偿", "退款", "赔付", "补偿", "退钱", "解决", "到账")
POLITE_WORDS = ("您好", "请", "谢谢", "感谢")

PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<![0-9Xx])\d{17}[\dXx](?![0-9Xx])")

RULE_ABUSE = "abuse"
RULE_LEAK = "leak"
RULE_PROMISE = "promise"
RULE_IMPOLITE = "impolite"

# The scorecard item (by name) each rule points the inspector at.
RULE_ITEMS = {RULE_ABUSE: "辱骂客户", RULE_LEAK: "泄露客户信息", RULE_PROMISE: "违规承诺", RULE_IMPOLITE: "礼貌用语"}
RULE_LABELS = {RULE_ABUSE: "辱骂/脏话", RULE_LEAK: "泄露客户信息", RULE_PROMISE: "违规承诺", RULE_IMPOLITE: "缺少礼貌用语"}

for _w in ABUSE_WORDS | set(PROMISE_PHRASES):
    jieba.add_word(_w, freq=20000)
jieba.setLogLevel(60)


@dataclass(frozen=True)
class Finding:
    rule: str
    label: str
    item: str
    turn: int | None
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _agent_turns(turns: list[dict[str, Any]], *, public_only: bool) -> Iterable[tuple[int, str]]:
    for i, turn in enumerate(turns):
        speaker = turn.get("speaker")
        if speaker == Speaker.AGENT or (speaker == Speaker.NOTE and not public_only):
            yield i, str(turn.get("text") or "")


def _finding(rule: str, turn: int | None, evidence: str) -> Finding:
    return Finding(rule=rule, label=RULE_LABELS[rule], item=RULE_ITEMS[rule], turn=turn, evidence=evidence)


def prescreen(turns: list[dict[str, Any]]) -> list[Finding]:
    """The findings over a contact's turns ([{speaker, at, text}]), in turn order."""
    out: list[Finding] = []
    agent_public = list(_agent_turns(turns, public_only=True))
    for i, text in agent_public:
        words = set(jieba.lcut(text))
        abuse = sorted(words & ABUSE_WORDS) or [p for p in ABUSE_PHRASES if p in text]
        if abuse:
            out.append(_finding(RULE_ABUSE, i, "、".join(abuse)))
        leaks = PHONE_RE.findall(text) + ID_RE.findall(text)
        if leaks:
            out.append(_finding(RULE_LEAK, i, "、".join(leaks)))
        promises = [p for p in PROMISE_PHRASES if p in text]
        promises += [
            f"{lead}{obj}" for lead in PROMISE_LEADS for obj in PROMISE_OBJECTS
            if re.search(f"{lead}.{{0,4}}{obj}", text)
        ]
        if promises:
            out.append(_finding(RULE_PROMISE, i, "、".join(promises)))
    if agent_public and not any(w in text for _, text in agent_public for w in POLITE_WORDS):
        out.append(_finding(RULE_IMPOLITE, None, "您好 / 请 / 谢谢"))
    return out
