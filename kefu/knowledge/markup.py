"""Markdown → safe HTML, variables in canned replies, pinyin keys, diffs. Pure functions, no ORM.

Python-Markdown renders (pure Python, maintained since 2004, the tables/fenced-code extensions we
need); nh3 sanitises (Rust `ammonia` bindings; bleach, the old choice, is deprecated). pypinyin gives
the pinyin initials for the canned-reply picker (`tkbl` → 退款办理); it ships its dictionary offline.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import markdown
import nh3
from pypinyin import Style, lazy_pinyin

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "span", "sup", "sub",
}
ALLOWED_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """Markdown to HTML that cannot run script: raw HTML in the source is sanitised, links get rel=noopener."""
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(md: str) -> str:
    """Text of a Markdown body for the index and snippets (tags dropped)."""
    html = markdown.markdown(md or "", extensions=["tables", "fenced_code"])
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


def text_diff(old: str, new: str) -> list[dict[str, Any]]:
    """Line diff for the version view: [{"op": " "|"+"|"-", "line": str}]."""
    out = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        op = line[:1]
        if op in (" ", "+", "-"):
            out.append({"op": op, "line": line[2:]})
    return out


# --- canned replies ----------------------------------------------------------------------------

VARIABLE_RE = re.compile(r"\{([\u4e00-\u9fffA-Za-z_]{1,16})\}")
VARIABLES = ("客户姓名", "工单号", "处理人", "工单标题", "客户电话", "今天")


def fill_variables(body: str, values: dict[str, str]) -> str:
    """Replace {客户姓名}-style variables with `values`; unknown or missing ones stay as typed so the
    agent sees what still needs filling."""
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1)) or m.group(0), body)


def pinyin_keys(title: str) -> tuple[str, str]:
    """(initials, full pinyin) of a title, lower-case, letters and digits only: 退款办理 → ("tkbl", "tuikuanbanli")."""
    # Non-Chinese runs come back whole ("VIP2"), Chinese characters one initial each.
    initials = "".join(lazy_pinyin(title, style=Style.FIRST_LETTER, errors="default"))
    full = "".join(lazy_pinyin(title, errors="default"))
    keep = re.compile(r"[^0-9a-z]")
    return keep.sub("", initials.lower())[:120], keep.sub("", full.lower())[:600]
