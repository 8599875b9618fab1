from __future__ import annotations

import pytest

from kefu.core.errors import DomainError
from kefu.core.masking import mask_id_number, mask_phone
from kefu.core.pagination import decode_cursor, encode_cursor
from kefu.core.text import index_tokens, is_single_cjk, query_tokens


def test_index_tokens_segment_chinese_and_keep_subwords():
    toks = index_tokens("退款一直不到账，ＡＢＣ订单１２３")
    assert "退款" in toks and "到账" in toks
    assert "abc" in toks and "123" in toks  # full-width normalised
    assert "，" not in toks


def test_query_tokens_are_bigrams_and_words():
    assert query_tokens("退款 到账") == ("退款", "到账")
    assert query_tokens("不到账") == ("不到", "到账")
    assert query_tokens("账") == ("账",)
    assert query_tokens("iPhone15 屏幕") == ("iphone15", "屏幕")
    assert query_tokens("，。") == ()


@pytest.mark.parametrize(
    "text",
    ["退款一直不到账", "我的宽带从昨天开始无法上网", "车辆保养后发动机异响，要求4S店重新检查", "快递显示已签收但我没收到"],
)
def test_every_substring_of_two_or_more_chars_is_found(text):
    """Any substring is found, except ones that cut a Latin word or number in half (those match as
    whole words only: "4S" is found by "4s", not by "4")."""
    indexed = set(index_tokens(text))
    for i in range(len(text)):
        for j in range(i + 2, len(text) + 1):
            if (i > 0 and text[i - 1 : i + 1].isascii() and text[i - 1 : i + 1].isalnum()) or (
                j < len(text) and text[j - 1 : j + 1].isascii() and text[j - 1 : j + 1].isalnum()
            ):
                continue
            tokens = query_tokens(text[i:j])
            if tokens and all(is_single_cjk(t) for t in tokens):
                continue  # lone characters are matched as substrings by the selector, not the index
            assert set(tokens) <= indexed, text[i:j]


@pytest.mark.parametrize(
    ("raw", "masked"), [("13812341234", "138****1234"), ("", ""), ("010-65521234", "010****1234"), ("12345", "1***5")]
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_id_number():
    assert mask_id_number("110101199001011234") == "1101**********1234"
    assert mask_id_number("1234") == "****"


def test_cursor_roundtrip_and_garbage():
    c = encode_cursor(["2026-11-22T10:00:00+00:00", 5])
    assert decode_cursor(c, 2) == ["2026-11-22T10:00:00+00:00", 5]
    for bad in ("!!!", encode_cursor([1]), "e30"):
        with pytest.raises(DomainError):
            decode_cursor(bad, 2)
