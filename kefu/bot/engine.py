"""The bot's decisions without the ORM: what a message is, and how sure an answer is.

`intent()` spots what needs no search (greetings, thanks, a request for a person, anger,
"that did not help"). `confidence()` turns the knowledge search's scores into 0..1: how much of the
question's weight the best document covers, times how clearly it beats the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Above ANSWER the bot answers; between SUGGEST and ANSWER it offers the best three as choices;
# below SUGGEST it hands over. Chosen on the validation half of bench/bot/questions.json (191 questions
# over the demo knowledge, bench/bot/bot_bench.py): ANSWER is the lowest with ≤ 5% wrong answers,
# SUGGEST the lowest where the right article is still among the three for half of the questions.
ANSWER_THRESHOLD = 0.34
SUGGEST_THRESHOLD = 0.19
# "没解决" twice, or this many questions the bot could not answer, and a person takes over.
MAX_MISSES = 2


class Intent(StrEnum):
    QUESTION = "question"
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"
    HUMAN = "human"
    NEGATIVE = "negative"
    NOT_SOLVED = "not_solved"


HUMAN_WORDS = ("转人工", "人工客服", "人工服务", "找人工", "要人工", "真人", "人工", "客服人员", "接线员")
NEGATIVE_WORDS = (
    "投诉", "垃圾", "骗子", "骗人", "太差", "生气", "气死", "愤怒", "无语", "坑人", "坑爹", "差评", "恶心",
    "滚", "举报", "12315", "消协", "曝光", "律师", "起诉", "报警", "什么破", "烂", "忍无可忍", "退钱",
)
NOT_SOLVED_WORDS = ("没解决", "没有解决", "未解决", "不对", "没用", "答非所问", "不是这个", "看不懂")
GREETING_WORDS = ("你好", "您好", "在吗", "在不在", "有人吗", "hello", "hi", "哈喽", "嗨")
THANKS_WORDS = ("谢谢", "感谢", "多谢", "好的", "明白了", "知道了", "解决了", "可以了")
BYE_WORDS = ("再见", "拜拜", "bye")
_STRIP = " \t\r\n,.!?~，。！？～、…:：;；"


def intent(text: str) -> Intent:
    t = text.strip().lower()
    core = t.strip(_STRIP)
    if any(w in t for w in HUMAN_WORDS):
        return Intent.HUMAN
    if any(w in t for w in NEGATIVE_WORDS):
        return Intent.NEGATIVE
    if any(core == w or core.startswith(w) and len(core) <= len(w) + 2 for w in NOT_SOLVED_WORDS):
        return Intent.NOT_SOLVED
    # Short messages only: "你好，我的订单没到" is a question that starts politely.
    if len(core) <= 6:
        for words, kind in ((GREETING_WORDS, Intent.GREETING), (THANKS_WORDS, Intent.THANKS),
                            (BYE_WORDS, Intent.BYE)):
            if any(core.startswith(w) for w in words):
                return kind
    return Intent.QUESTION


@dataclass(frozen=True)
class Scored:
    score: float
    tokens: frozenset[str]


def coverage(terms: tuple[tuple[str, float], ...], tokens: frozenset[str]) -> float:
    total = sum(w for _t, w in terms)
    if total <= 0:
        return 0.0
    return sum(w for t, w in terms if t in tokens) / total


def confidence(terms: tuple[tuple[str, float], ...], ranked: list[Scored]) -> float:
    """0..1 for the best of `ranked` (sorted best first)."""
    if not ranked or ranked[0].score <= 0:
        return 0.0
    best = ranked[0]
    cov = coverage(terms, best.tokens)
    runner = ranked[1].score if len(ranked) > 1 else 0.0
    margin = (best.score - runner) / best.score
    return round(cov * (0.7 + 0.3 * margin), 4)
