from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.dispatch.routing import (
    DEFAULT_KEYWORDS,
    Candidate,
    CategoryRuleC,
    Conditions,
    Facts,
    RoutingRuleC,
    TriageRuleC,
    choose,
    route,
    single,
    suggest_category,
    triage,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def facts(text: str = "宽带断了", **kw: object) -> Facts:
    base: dict[str, object] = {"text": text, "kind": "inquiry", "channel": "phone", "priority": "normal", "now": NOW}
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


SENSITIVE = TriageRuleC(id=1, name="敏感词", when=Conditions(keywords=DEFAULT_KEYWORDS), set_priority="high", set_severity="major")


@pytest.mark.parametrize("word", DEFAULT_KEYWORDS)
def test_every_default_keyword_raises_priority(word):
    out = triage(facts(f"我要去{word}反映"), [SENSITIVE])
    assert out.priority == "high"
    assert out.fired[0]["rule"] == "敏感词" and f"keywords:{word}" in out.fired[0]["why"]


@pytest.mark.parametrize(
    ("kw", "rule", "fires"),
    [
        ({"kind": "complaint"}, Conditions(kinds=frozenset({"complaint"})), True),
        ({"kind": "inquiry"}, Conditions(kinds=frozenset({"complaint"})), False),
        ({"channel": "weibo"}, Conditions(channels=frozenset({"weibo"})), True),
        ({"priority": "low"}, Conditions(priorities=frozenset({"high"})), False),
        ({"tier_id": 3}, Conditions(tier_ids=frozenset({3})), True),
        ({"tier_id": None}, Conditions(tier_ids=frozenset({3})), False),
        ({"is_vip": True}, Conditions(vip_only=True), True),
        ({"is_vip": False}, Conditions(vip_only=True), False),
        ({"language": "en"}, Conditions(languages=frozenset({"en"})), True),
        ({"category_path": "/1/7/"}, Conditions(category_paths=("/1/",)), True),
        ({"category_path": "/2/"}, Conditions(category_paths=("/1/",)), False),
        ({"category_path": ""}, Conditions(category_paths=("/1/",)), False),
        ({}, Conditions(), True),
        ({"text": "ABC律师"}, Conditions(keywords=("律师",), kinds=frozenset({"complaint"})), False),
    ],
)
def test_conditions(kw, rule, fires):
    assert (rule.why(facts(**kw)) is not None) is fires


def test_priority_only_rises_and_highest_wins():
    low = TriageRuleC(id=1, name="low", when=Conditions(), set_priority="low")
    urgent = TriageRuleC(id=2, name="urgent", when=Conditions(keywords=("起诉",)), set_priority="urgent")
    high = TriageRuleC(id=3, name="high", when=Conditions(), set_priority="high")
    out = triage(facts("我要起诉", priority="normal"), [low, urgent, high])
    assert out.priority == "urgent" and [f["rule"] for f in out.fired] == ["low", "urgent", "high"]
    assert triage(facts("x", priority="high"), [low]).priority == "high"


def test_repeat_contact_within_days():
    rule = TriageRuleC(id=1, name="repeat", when=Conditions(), set_priority="high", repeat_within_days=7, repeat_min_count=2)
    two = (NOW - timedelta(days=1), NOW - timedelta(days=6))
    assert triage(facts(earlier_contacts=two), [rule]).fired[0]["why"] == ["repeat:2in7d"]
    old = (NOW - timedelta(days=1), NOW - timedelta(days=8))
    assert triage(facts(earlier_contacts=old), [rule]).fired == []


def test_complaint_grading_and_second_pass_on_grade():
    grade = TriageRuleC(id=1, name="media", when=Conditions(keywords=("媒体",)), set_severity="urgent", notify_user_ids=(9,))
    on_grade = TriageRuleC(id=2, name="urgent complaints", when=Conditions(severities=frozenset({"urgent"})), set_priority="urgent")
    # The grade rule comes later in order, but grade-conditioned rules always run after grading.
    out = triage(facts("联系媒体", kind="complaint"), [on_grade, grade])
    assert out.severity == "urgent" and out.priority == "urgent" and out.notify_user_ids == [9]
    plain = triage(facts("一般问题", kind="complaint"), [on_grade, grade])
    assert plain.severity == "general" and plain.priority == "normal"
    # Not a complaint: no grade at all, even when a grading rule's words appear.
    assert triage(facts("联系媒体"), [grade]).severity == ""


@pytest.mark.parametrize(
    ("text", "recent", "expected"),
    [
        ("退款还没到账", (), 1),
        ("宽带断网", (), 2),
        ("退款 宽带", (2,), 2),  # tie broken by the customer's recent category
        ("随便问问", (5,), 5),
        ("随便问问", (), None),
    ],
)
def test_suggest_category(text, recent, expected):
    rules = [CategoryRuleC(category_id=1, keywords=("退款", "到账")), CategoryRuleC(category_id=2, keywords=("宽带", "断网"))]
    if text == "退款 宽带":
        rules = [CategoryRuleC(category_id=1, keywords=("退款",)), CategoryRuleC(category_id=2, keywords=("宽带",))]
    assert suggest_category(text, rules, recent)[0] == expected


def test_route_first_match_in_order():
    rules = [
        RoutingRuleC(id=1, name="complaints", when=Conditions(kinds=frozenset({"complaint"})), team_id=10),
        RoutingRuleC(id=2, name="broadband", when=Conditions(keywords=("宽带",)), team_id=20, skill_ids=frozenset({3})),
    ]
    assert route(facts("宽带", kind="complaint"), rules).rule.team_id == 10  # type: ignore[union-attr]
    assert route(facts("宽带"), rules).rule.skill_ids == {3}  # type: ignore[union-attr]
    assert route(facts("手机"), rules).rule is None


def cand(uid: int, *, presence: str = "online", load: int = 0, weighted: int | None = None, cap: int = 5,
         skills: set[int] | None = None, idle: datetime | None = None) -> Candidate:
    return Candidate(
        user_id=uid, name=f"u{uid}", presence=presence, capacity=cap, load=load,
        weighted=2 * load if weighted is None else weighted, skill_ids=frozenset(skills or ()), idle_since=idle,
    )


def test_load_balanced_picks_lowest_weighted_load_and_explains():
    cs = [cand(1, load=2), cand(2, load=1, weighted=8), cand(3, load=1), cand(4, presence="away"),
          cand(5, load=5), cand(6, skills=set())]
    got = choose(cs, mode="load_balanced", required=frozenset())
    assert got.chosen == 6
    got = choose(cs[:5], mode="load_balanced", required=frozenset())
    assert got.chosen == 3
    assert got.verdicts == {1: "higher_load", 2: "higher_load", 3: "chosen", 4: "offline", 5: "at_capacity"}


def test_load_balanced_ties_go_to_longest_idle_then_lowest_id():
    a, b = NOW - timedelta(minutes=5), NOW - timedelta(minutes=50)
    assert choose([cand(1, idle=a), cand(2, idle=b)], mode="load_balanced").chosen == 2
    assert choose([cand(1, idle=a), cand(2, idle=None)], mode="load_balanced").chosen == 2
    got = choose([cand(2), cand(1)], mode="load_balanced")
    assert got.chosen == 1 and got.verdicts[2] == "less_idle"


def test_required_skills():
    got = choose([cand(1), cand(2, skills={7, 8})], mode="load_balanced", required=frozenset({7}))
    assert got.chosen == 2 and got.verdicts[1] == "missing_skill"


@pytest.mark.parametrize(("last", "expected"), [(None, 1), (1, 3), (3, 1), (2, 3), (9, 1)])
def test_round_robin(last, expected):
    cs = [cand(3, load=4), cand(1, load=4), cand(2, presence="offline")]
    assert choose(cs, mode="round_robin", last_user_id=last).chosen == expected


def test_manual_mode_chooses_nobody():
    got = choose([cand(1), cand(2, presence="busy")], mode="manual")
    assert got.chosen is None and got.verdicts == {1: "manual", 2: "offline"}


def test_nobody_eligible():
    assert choose([cand(1, load=5)], mode="load_balanced").chosen is None
    assert choose([], mode="round_robin").chosen is None


def test_single():
    assert single(cand(1)).chosen == 1
    assert single(cand(1, presence="offline")).verdicts == {1: "offline"}
    assert single(cand(1), frozenset({4})).chosen is None
