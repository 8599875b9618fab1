"""AI 初筛: offline rules over a contact's Chinese text turns. It flags, it never scores: each finding
names the rule (and its finer check), the scorecard item it pre-fills, the turn and the span of the
words that show it, and a confidence.

Checks (rule → check): abuse 辱骂 and forbidden 服务禁用语 (an editable list, see kefu.quality.lexicon:
traditional, pinyin and spaced-out variants), leak 泄露客户信息 (an unmasked mobile or ID number in an
agent's public reply), promise 违规承诺 (保证/一定/肯定 … 退款/赔偿 …, not when negated), impolite
礼貌用语 (check greeting: no 问候 in the first agent turn; check closing: no 结束语 in the last), slow
响应及时 (a customer turn waited longer than the next-response target for the next agent turn, when
turns carry times), emotion 客户情绪 (check threat: 12315 / 媒体 / 律师 …; check anger) on the
customer turn that shows it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jieba

from kefu.quality import emotion
from kefu.quality.choices import Speaker
from kefu.quality.lexicon import (
    ABUSE,
    CLOSINGS,
    DEFAULT_TERMS,
    GREETINGS,
    PROMISE_LEADS,
    PROMISE_NEGATIONS,
    PROMISE_OBJECTS,
    Term,
    TermList,
    alias_pattern,
    fold,
    parse_terms,
    phrase_pattern,
    syllable,
)

RULE_ABUSE = "abuse"
RULE_FORBIDDEN = "forbidden"
RULE_LEAK = "leak"
RULE_PROMISE = "promise"
RULE_IMPOLITE = "impolite"
RULE_SLOW = "slow"
RULE_EMOTION = "emotion"
CHECKS = ("abuse", "forbidden", "leak", "promise", "greeting", "closing", "slow", "threat", "anger")

# The scorecard item (by name) each rule pre-fills.
RULE_ITEMS = {
    RULE_ABUSE: "辱骂客户", RULE_FORBIDDEN: "服务禁用语", RULE_LEAK: "泄露客户信息", RULE_PROMISE: "违规承诺",
    RULE_IMPOLITE: "礼貌用语", RULE_SLOW: "响应及时", RULE_EMOTION: "情绪安抚",
}
RULE_LABELS = {
    RULE_ABUSE: "辱骂/脏话", RULE_FORBIDDEN: "服务禁用语", RULE_LEAK: "泄露客户信息", RULE_PROMISE: "违规承诺",
    RULE_IMPOLITE: "缺少礼貌用语", RULE_SLOW: "回复超时", RULE_EMOTION: "客户负面情绪",
}
CHECK_LABELS = {
    "greeting": "首句缺少问候语", "closing": "末句缺少结束语", "threat": "客户扬言投诉/曝光/起诉",
    "anger": "客户情绪激动",
}
DEFAULT_NEXT_RESPONSE_MINUTES = 30.0

PHONE_RE = re.compile(r"(?<![\d*])1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![\d*])")
# 6-digit region, a birth date 19xx/20xx-MM-DD, 3 digits and a check character.
ID_RE = re.compile(
    r"(?<![\dXx*])[1-9]\d{5}\s?(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?\d{3}[\dXx](?![\dXx*])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PROMISE_RE = re.compile(
    "(" + "|".join(map(re.escape, PROMISE_LEADS)) + r")[^，。！？,.!?；;]{0,6}?("
    + "|".join(map(re.escape, sorted(PROMISE_OBJECTS, key=len, reverse=True))) + ")"
)
_PROMISE_PHRASES = re.compile("包您满意|包你满意|绝对没问题|百分之百没问题|肯定没问题|打包票|我保证")


@dataclass(frozen=True)
class Finding:
    rule: str
    label: str
    item: str
    turn: int | None
    evidence: str
    check: str = ""
    start: int | None = None
    end: int | None = None
    confidence: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finding(rule: str, turn: int | None, evidence: str, *, check: str = "", start: int | None = None,
             end: int | None = None, confidence: float) -> Finding:
    return Finding(rule=rule, label=CHECK_LABELS.get(check, RULE_LABELS[rule]), item=RULE_ITEMS[rule], turn=turn,
                   evidence=evidence, check=check or rule, start=start, end=end, confidence=confidence)


@dataclass
class _Matcher:
    exact: re.Pattern[str]
    by_group: list[Term]
    pinyin: list[tuple[re.Pattern[str], Term]]
    exceptions: tuple[str, ...]
    tokenizer: jieba.Tokenizer


@lru_cache(maxsize=16)
def _compile(terms: TermList) -> _Matcher:
    alts: list[str] = []
    by_group: list[Term] = []
    for t in sorted(terms.terms, key=lambda t: -len(t.phrase)):
        for variant in (t.phrase, *t.aliases):
            alts.append(f"({alias_pattern(variant) if re.match('[a-z0-9]', variant) else phrase_pattern(variant)})")
            by_group.append(t)
    pinyin = []
    for t in terms.terms:
        if t.category == ABUSE and t.pinyin and "*" not in t.phrase and len(t.phrase) >= 2:
            syl = [syllable(c) for c in t.phrase]
            if all(syl):
                pinyin.append((re.compile(r"(?<= )" + " ".join(syl) + r"(?= )"), t))
    tok = jieba.Tokenizer()
    for t in terms.terms:
        tok.add_word(t.phrase.replace("*", ""), freq=50000)
    return _Matcher(re.compile("|".join(alts) or "(?!)"), by_group, pinyin, terms.exceptions, tok)


def _terms(forbidden: str | Iterable[Term] | TermList | None) -> TermList:
    if forbidden is None:
        return DEFAULT_TERMS
    if isinstance(forbidden, TermList):
        return forbidden
    if isinstance(forbidden, str):
        return parse_terms(forbidden)
    return TermList(terms=tuple(forbidden), exceptions=DEFAULT_TERMS.exceptions)


def _on_boundaries(m: _Matcher, folded: str, start: int, end: int) -> bool:
    bounds = {0}
    pos = 0
    for w in m.tokenizer.lcut(folded):
        pos += len(w)
        bounds.add(pos)
    return start in bounds and end in bounds


def _excepted(m: _Matcher, folded: str, start: int, end: int) -> bool:
    for ex in m.exceptions:
        i = folded.find(ex, max(0, start - len(ex)))
        while i != -1 and i <= start:
            if i + len(ex) >= end:
                return True
            i = folded.find(ex, i + 1)
    return False


def _phrases(m: _Matcher, i: int, text: str) -> list[Finding]:
    folded = fold(text)
    out: list[Finding] = []
    seen: list[tuple[int, int]] = []
    for hit in m.exact.finditer(folded):
        term = m.by_group[hit.lastindex - 1] if hit.lastindex else None
        if term is None:
            continue
        s, e = hit.span()
        if _excepted(m, folded, s, e) or (term.short and not _on_boundaries(m, folded, s, e)):
            continue
        orig = text[s:e]
        spaced = len(orig) > len(term.phrase) and "*" not in term.phrase
        conf = 0.85 if spaced else 0.8 if re.match("[a-z0-9]", hit.group()) else 0.95
        seen.append((s, e))
        out.append(_finding(term.category, i, orig, start=s, end=e, confidence=conf))
    if m.pinyin and any("\u4e00" <= c <= "\u9fff" for c in folded):
        pos = [k for k, c in enumerate(folded) if "\u4e00" <= c <= "\u9fff"]
        syl = [syllable(folded[k]) for k in pos]
        joined = " " + " ".join(syl) + " "
        starts = []
        off = 1
        for s_ in syl:
            starts.append(off)
            off += len(s_) + 1
        for pat, term in m.pinyin:
            for hit in pat.finditer(joined):
                k = starts.index(hit.start())
                n = len(term.phrase)
                s, e = pos[k], pos[k + n - 1] + 1
                if any(a <= s < b for a, b in seen) or _excepted(m, folded, s, e):
                    continue
                if n <= 2 and not _on_boundaries(m, folded, s, e):
                    continue
                seen.append((s, e))
                out.append(_finding(term.category, i, text[s:e], start=s, end=e, confidence=0.7))
    return out


def _id_valid(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


def _leaks(i: int, text: str) -> list[Finding]:
    t = fold(text)
    out = [_finding(RULE_LEAK, i, text[m.start():m.end()], start=m.start(), end=m.end(), confidence=0.9)
           for m in PHONE_RE.finditer(t)]
    for m in ID_RE.finditer(t):
        digits = re.sub(r"\s", "", m.group())
        out.append(_finding(RULE_LEAK, i, text[m.start():m.end()], start=m.start(), end=m.end(),
                            confidence=0.95 if _id_valid(digits) else 0.7))
    return out


def _promises(i: int, text: str) -> list[Finding]:
    t = fold(text)
    out: list[Finding] = []
    for m in list(_PROMISE_RE.finditer(t)) + list(_PROMISE_PHRASES.finditer(t)):
        before = t[max(0, m.start() - 3):m.start()]
        if any(before.endswith(n) for n in PROMISE_NEGATIONS) or t[m.start():m.start() + 3] == "不一定":
            continue
        if any(f.start is not None and f.start <= m.start() < (f.end or 0) for f in out):
            continue
        lead = m.group(1) if m.lastindex else m.group()
        out.append(_finding(RULE_PROMISE, i, text[m.start():m.end()], start=m.start(), end=m.end(),
                            confidence=0.85 if lead in ("保证", "担保", "打包票", "百分之百", "100%") else 0.75))
    return out


def _parse_at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _wall_minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def prescreen(
    turns: list[dict[str, Any]],
    *,
    forbidden: str | Iterable[Term] | TermList | None = None,
    next_response_minutes: float | None = DEFAULT_NEXT_RESPONSE_MINUTES,
    gap_minutes: Callable[[datetime, datetime], float] | None = None,
    emotion_model: emotion.EmotionModel | None = None,
) -> list[Finding]:
    """The findings over a contact's turns ([{speaker, text, at?}]), in turn order.

    forbidden: the 禁用语 list (text in the kefu.quality.lexicon format, terms, or a TermList); the
    shipped default when None. next_response_minutes: the next-response target (None: no slow
    check); gap_minutes: how minutes between two times are counted (wall clock by default; pass the
    business calendar's). emotion_model: a trained EmotionModel for anger (the lexicon otherwise)."""
    matcher = _compile(_terms(forbidden))
    out: list[Finding] = []
    agent_public: list[tuple[int, str]] = []
    customer: list[tuple[int, str]] = []
    for i, turn in enumerate(turns):
        text = str(turn.get("text") or "")
        speaker = turn.get("speaker")
        if speaker == Speaker.AGENT:
            agent_public.append((i, text))
            out += _phrases(matcher, i, text)
            out += _leaks(i, text)
            out += _promises(i, text)
        elif speaker == Speaker.CUSTOMER:
            customer.append((i, text))
    if agent_public:
        first_i, first = agent_public[0]
        if not any(g in fold(first) for g in GREETINGS):
            out.append(_finding(RULE_IMPOLITE, first_i, first[:20], check="greeting", confidence=0.8))
        last_i, last = agent_public[-1]
        if not any(c in fold(last) for c in CLOSINGS):
            out.append(_finding(RULE_IMPOLITE, last_i, last[-20:], check="closing", confidence=0.8))
    if next_response_minutes is not None:
        out += _slow(turns, next_response_minutes, gap_minutes or _wall_minutes)
    probas = emotion_model.proba([t for _, t in customer]) if emotion_model and customer else None
    for k, (i, text) in enumerate(customer):
        sig = emotion.detect(text, model=emotion_model, proba=probas[k] if probas else None)
        if sig.kind:
            out.append(_finding(RULE_EMOTION, i, sig.evidence, check=sig.kind, start=sig.start, end=sig.end,
                                confidence=sig.confidence))
    out.sort(key=lambda f: (f.turn if f.turn is not None else -1, f.start or 0))
    return out


def _slow(turns: list[dict[str, Any]], target: float, minutes: Callable[[datetime, datetime], float]) -> list[Finding]:
    out: list[Finding] = []
    waiting: datetime | None = None
    for i, turn in enumerate(turns):
        at = _parse_at(turn.get("at"))
        speaker = turn.get("speaker")
        if speaker == Speaker.CUSTOMER and waiting is None:
            waiting = at
        elif speaker == Speaker.AGENT:
            if waiting is not None and at is not None:
                gap = minutes(waiting, at)
                if gap > target:
                    out.append(_finding(RULE_SLOW, i, f"{gap:.0f} 分钟（目标 {target:g} 分钟）",
                                        confidence=0.99))
            waiting = None
    return out
