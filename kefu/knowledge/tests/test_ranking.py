"""kefu.knowledge.ranking: pure functions, no database."""

from __future__ import annotations

import math

import pytest

from kefu.knowledge import lexicon
from kefu.knowledge.ranking import (
    Candidate,
    aggregate_entries,
    bm25_scores,
    feedback_boost,
    fuse_z,
    select_terms,
    top_k,
)


def _cand(key: str, text: str, boost: float = 1.0) -> Candidate:
    toks = text.split()
    return Candidate(key=key, tokens=toks, length=len(toks), boost=boost)


def test_bm25_prefers_rarer_term_and_higher_tf() -> None:
    cands = [_cand("a", "退款 退款 发票"), _cand("b", "退款 发票 发票"), _cand("c", "发票 发票 发票")]
    df = {"退款": 2, "发票": 30}
    a, b, c = bm25_scores([("退款", 1.0)], cands, n_docs=100, avg_len=3.0, df=df)
    assert a > b > 0 and c == 0
    # The rare term outweighs the common one at equal term frequency.
    r, f = bm25_scores([("退款", 1.0), ("发票", 1.0)], [_cand("r", "退款 x"), _cand("f", "发票 x")],
                       n_docs=100, avg_len=2.0, df=df)
    assert r > f > 0


def test_bm25_length_normalisation_and_query_weight() -> None:
    short, long = bm25_scores([("密码", 1.0)], [_cand("s", "密码 a"), _cand("l", "密码 a b c d e f g")],
                              n_docs=10, avg_len=5.0, df={"密码": 2})
    assert short > long > 0
    (one,) = bm25_scores([("密码", 1.0)], [_cand("s", "密码")], n_docs=10, avg_len=1.0, df={"密码": 2})
    (half,) = bm25_scores([("密码", 0.5)], [_cand("s", "密码")], n_docs=10, avg_len=1.0, df={"密码": 2})
    assert half == pytest.approx(one / 2)


def test_bm25_boost_multiplies_and_stale_df_stays_positive() -> None:
    plain, boosted = bm25_scores([("账单", 1.0)], [_cand("p", "账单"), _cand("b", "账单", boost=1.3)],
                                 n_docs=5, avg_len=1.0, df={"账单": 2})
    assert boosted == pytest.approx(plain * 1.3)
    # A document frequency above the collection size (stale counts) must not make the IDF negative.
    (s,) = bm25_scores([("账单", 1.0)], [_cand("p", "账单")], n_docs=3, avg_len=1.0, df={"账单": 50})
    assert s > 0


def test_bm25_df_defaults_to_candidates() -> None:
    cands = [_cand("a", "快递 丢 了"), _cand("b", "快递 到 了"), _cand("c", "丢 东西")]
    with_df = bm25_scores([("丢", 1.0)], cands, n_docs=3, avg_len=2.7, df={"丢": 2})
    without = bm25_scores([("丢", 1.0)], cands, n_docs=3, avg_len=2.7)
    assert with_df == pytest.approx(without)


def test_feedback_boost() -> None:
    assert feedback_boost(used=0, helpful=0, not_helpful=0) == 1.0
    assert 1.0 < feedback_boost(used=3, helpful=1, not_helpful=0) < feedback_boost(used=30, helpful=10, not_helpful=0)
    assert feedback_boost(used=0, helpful=0, not_helpful=1) < 1.0
    assert feedback_boost(used=0, helpful=0, not_helpful=100) == 0.8


def test_select_terms_keeps_strong_and_adds_rare_characters_within_budget() -> None:
    terms = [("退款", 1.0), ("退", 1.0), ("款", 1.0), ("的", 1.0), ("无", 1.0)]
    df = {"退款": 10, "退": 50, "款": 80, "的": 5000}
    out = select_terms(terms, df, budget=200, is_weak=lexicon.is_unigram)
    # Terms absent from the index are dropped; 的 would blow the budget.
    assert out == ["退款", "退", "款"]
    # With only weak terms, the rarest one is always taken even over the budget.
    assert select_terms([("的", 1.0)], df, budget=10, is_weak=lexicon.is_unigram) == ["的"]


def test_aggregate_entries_sums_top_examples_harmonically() -> None:
    scored = [("pay", 4.0), ("pay", 2.0), ("pay", 3.0), ("ship", 5.0)]
    agg = aggregate_entries(scored)
    assert agg["pay"] == pytest.approx(4 + 3 / 2 + 2 / 3)
    assert agg["ship"] == 5.0
    assert aggregate_entries(scored, depth=1)["pay"] == 4.0


def test_fuse_z_weights_sides_and_fills_missing_keys() -> None:
    lex = {"a": 10.0, "b": 5.0, "c": 0.0}
    sem = {"a": 0.1, "b": 0.9, "c": 0.5}
    assert max(fuse_z(lex, sem, weight=0.0).items(), key=lambda kv: kv[1])[0] == "a"
    assert max(fuse_z(lex, sem, weight=1.0).items(), key=lambda kv: kv[1])[0] == "b"
    # A key only on one side gets the other side's minimum; values stay finite with constant input.
    fused = fuse_z({"a": 1.0}, {"a": 0.2, "d": 0.8}, weight=0.5)
    assert set(fused) == {"a", "d"} and all(math.isfinite(v) for v in fused.values())
    assert fuse_z({}, {}, weight=0.5) == {}


def test_top_k_drops_zero_scores() -> None:
    assert top_k([("a", 0.0), ("b", 2.0), ("c", 1.0), ("d", 3.0)], 2) == [("d", 3.0), ("b", 2.0)]
