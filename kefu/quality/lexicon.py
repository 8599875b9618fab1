"""The editable word lists of the AI pre-screen and the text folding they are matched on.

Folding is length-preserving (one character in, one out), so a match's span on the folded text is
the span on the original: full-width → half-width, traditional → simplified (OpenCC t2s, one
character at a time), lower case. Obfuscation (傻 逼, 傻*逼) is matched by allowing up to three
non-word characters between the characters of a phrase; pinyin homophones (煞笔 for 傻逼) by
pypinyin syllables; typed pinyin (sb, shabi) by the aliases a term lists.

The forbidden list is text, one term a line (``parse_terms``)::

    # comment
    abuse: 傻逼 / sb / shabi        辱骂: category abuse, then aliases after /
    这不归我管                       no category: forbidden (服务禁用语)
    爱找谁*找谁                      * stands for up to four characters
    !垃圾短信                        an exception: a match inside it does not count
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import opencc
from pypinyin import lazy_pinyin

ABUSE = "abuse"
FORBIDDEN = "forbidden"
CATEGORY_WORDS = {"abuse": ABUSE, "辱骂": ABUSE, "forbidden": FORBIDDEN, "禁用语": FORBIDDEN}

DEFAULT_FORBIDDEN_TEXT = """
# 辱骂 (fatal item 辱骂客户)
abuse: 傻逼 / sb / shabi / 傻b
abuse: 煞笔
abuse: 他妈的 / tmd / tamade
abuse: 妈的
abuse: 你妈 / nmsl / cnm
abuse: 操你
abuse: 滚
abuse: 滚蛋
abuse: 去死
abuse: 白痴 / baichi
abuse: 神经病 / shenjingbing
abuse: 你有病
abuse: 脑残 / naocan
abuse: 弱智 / ruozhi
abuse: 废物 / feiwu
abuse: 蠢货
abuse: 笨蛋
abuse: 垃圾
abuse: 闭嘴
abuse: 王八蛋
abuse: 不要脸
abuse: 有病吧
# 服务禁用语
这不归我管
这不关我的事
不关我们的事
我不管
我也没办法
你自己看着办
你自己去查
你听不懂吗
听不懂人话
你怎么这么笨
我已经说过了
跟你说了多少遍
爱找谁*找谁
有本事你去投诉
你去投诉吧
随便你投诉
你问我我问谁
急什么
没看我正忙
说了你也不懂
你到底想怎么样
不是告诉你了吗
你懂不懂
我就这态度
不想办就别办
这是你自己的问题
我们就是这样规定的
要么就别用
# exceptions
!垃圾短信
!垃圾邮件
!垃圾箱
!垃圾分类
!垃圾信息
!滚动
!滚筒
!病毒
"""

_t2s = opencc.OpenCC("t2s")


class _Fold(dict[int, str]):
    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = unicodedata.normalize("NFKC", ch)
        if len(out) != 1:
            out = ch
        simp = _t2s.convert(out)
        if len(simp) == 1:
            out = simp
        out = out.lower()
        if len(out) != 1:
            out = ch
        self[code] = out
        return out


_FOLD = _Fold()


def fold(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case; same length as the input."""
    return text.translate(_FOLD)


@lru_cache(maxsize=65536)
def syllable(ch: str) -> str:
    """The toneless pinyin of one CJK character ('' for anything else)."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ""
    return lazy_pinyin(ch)[0]


@dataclass(frozen=True)
class Term:
    phrase: str
    category: str = FORBIDDEN
    aliases: tuple[str, ...] = ()
    pinyin: bool = True  # homophones count (only for abuse terms of two or more characters)

    @property
    def short(self) -> bool:
        """One or two CJK characters: only counts on a word boundary (滚 is not 滚动)."""
        return len(self.phrase.replace("*", "")) <= 2


@dataclass(frozen=True)
class TermList:
    terms: tuple[Term, ...]
    exceptions: tuple[str, ...] = field(default=())


def parse_terms(text: str) -> TermList:
    """An editable list (see the module docstring) as terms and exceptions; bad lines are skipped."""
    terms: list[Term] = []
    exceptions: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("!"):
            if line[1:].strip():
                exceptions.append(fold(line[1:].strip()))
            continue
        category = FORBIDDEN
        head, sep, rest = line.partition(":")
        if not sep:
            head, sep, rest = line.partition("：")
        if sep and head.strip().lower() in CATEGORY_WORDS:
            category = CATEGORY_WORDS[head.strip().lower()]
            line = rest
        parts = [fold(p.strip()) for p in line.split("/") if p.strip()]
        if not parts:
            continue
        terms.append(Term(phrase=parts[0], category=category, aliases=tuple(parts[1:])))
    return TermList(terms=tuple(terms), exceptions=tuple(exceptions))


DEFAULT_TERMS = parse_terms(DEFAULT_FORBIDDEN_TEXT)

# Between two characters of a phrase: up to three separators (spaces, punctuation, symbols).
SEP = r"[\W_]{0,3}"
_LATIN = re.compile(r"[a-z0-9]")


def phrase_pattern(phrase: str) -> str:
    parts = []
    for i, ch in enumerate(phrase):
        if ch == "*":
            parts.append(r"[^。！？!?\n]{0,4}")
            continue
        if i and phrase[i - 1] != "*":
            parts.append(SEP)
        parts.append(re.escape(ch))
    return "".join(parts)


def alias_pattern(alias: str) -> str:
    """Typed pinyin or letters: may be split by separators, never inside a longer latin word (usb)."""
    body = r"[\s\W_]{0,2}".join(re.escape(c) for c in alias)
    return rf"(?<![a-z]){body}(?![a-z])" if _LATIN.match(alias) else body


# 问候 in the first agent turn, 结束语 in the last.
GREETINGS = (
    "您好", "你好", "欢迎", "很高兴为您服务", "为您服务", "早上好", "上午好", "中午好", "下午好", "晚上好",
    "hello", "hi", "感谢您的来电", "感谢您的耐心等待", "亲",
)
CLOSINGS = (
    "再见", "感谢", "谢谢", "祝您", "生活愉快", "还有什么", "还有其他", "还有别的", "欢迎再次", "随时联系",
    "随时找我", "请您对我的服务", "评价", "满意", "打扰您了", "不客气", "期待", "拜拜",
)

# 违规承诺: a lead within a few characters of an object; negated leads do not count.
PROMISE_LEADS = ("保证", "一定", "肯定", "绝对", "百分之百", "100%", "包您", "包你", "担保", "打包票")
PROMISE_OBJECTS = (
    "退款", "退钱", "退费", "赔偿", "赔付", "补偿", "赔", "到账", "解决", "修好", "办好", "搞定", "批下来",
    "没问题", "满意", "成功", "返现", "退回", "给您退", "今天", "明天", "马上",
)
PROMISE_NEGATIONS = ("不能", "无法", "不敢", "没法", "没办法", "不", "没有", "不一定", "不好", "难以", "很难")

# Customer emotion: a threat to escalate outside, and weighted words of anger.
THREATS = (
    "12315", "12345", "315", "消协", "消费者协会", "工商局", "市场监管", "工信部", "银保监", "金融监管",
    "媒体", "记者", "电视台", "曝光", "发微博", "上微博", "发抖音", "发朋友圈", "小红书",
    "律师", "起诉", "法院", "打官司", "告你们", "报警", "投诉到", "去投诉", "要投诉", "我要投诉", "举报你们",
    "上诉", "法律途径", "维权",
)
THREAT_NEGATIONS = ("不会", "不想", "不用", "不是要", "没有要", "不打算", "先不")
ANGER_WORDS: dict[str, float] = {
    "气死": 2.0, "生气": 1.5, "愤怒": 2.0, "火大": 2.0, "恼火": 1.5, "无语": 1.2, "受够": 2.0, "忍无可忍": 2.5,
    "太差": 1.8, "差劲": 1.8, "很差": 1.5, "真差": 1.5, "垃圾": 2.0, "骗子": 2.0, "骗人": 1.8, "坑人": 1.8,
    "坑爹": 1.8, "什么破": 2.0, "破玩意": 2.0, "恶心": 1.8, "离谱": 1.5, "过分": 1.5, "搞什么": 1.5,
    "什么玩意": 2.0, "凭什么": 1.5, "耍我": 2.0, "糊弄": 1.5, "敷衍": 1.5, "踢皮球": 1.8, "推卸": 1.5,
    "不负责": 1.5, "一问三不知": 1.8, "多少次": 1.2, "说了多少遍": 1.8, "几次了": 1.2, "还没": 0.6,
    "一直没": 1.0, "到现在": 0.8, "差评": 1.8, "退钱": 1.0, "赔钱": 1.0, "再也不": 1.8, "滚": 1.5,
    "傻逼": 2.5, "废物": 2.0, "不要脸": 2.0, "黑心": 2.0, "流氓": 2.0, "欺负": 1.5, "失望": 1.2, "烦死": 1.8,
    "烦": 0.8, "崩溃": 1.5, "不靠谱": 1.5, "太慢": 1.2, "慢死": 1.8, "磨蹭": 1.2, "拖": 0.6, "难吃": 1.5,
    "不好": 0.8, "差": 0.8, "没用": 1.0, "有病": 1.5, "什么态度": 2.0, "态度差": 1.8, "态度恶劣": 2.0,
    "不满": 1.2, "不行": 0.6, "欺诈": 2.0, "骗": 1.0, "太离谱": 1.0, "扯淡": 2.0, "胡扯": 1.8, "忽悠": 1.8,
    "到底": 0.8, "怎么回事": 0.8, "！！": 1.0, "!!": 1.0, "？？": 0.8, "??": 0.8, "等了": 0.8, "凉了": 1.0,
    "投诉": 1.0, "不要了": 1.0, "取消": 0.5, "浪费": 1.2, "难用": 1.5, "卡死": 1.2, "麻烦死": 1.8,
}
CALM_WORDS: dict[str, float] = {
    "谢谢": 1.0, "感谢": 1.0, "好的": 0.6, "满意": 1.2, "不错": 1.2, "辛苦": 1.0, "好评": 1.5, "很快": 1.0,
    "没问题": 0.8, "麻烦你了": 0.6, "棒": 1.2, "好吃": 1.2, "准时": 1.0, "赞": 1.0,
}
ANGER_NEGATED = ("不生气", "不差", "没有不好", "不烦", "不失望", "不慢", "不难")
