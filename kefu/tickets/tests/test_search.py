"""Ticket word search (selectors.fulltext_q / search_q): every plan finds exactly the same tickets."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.tests.factories import TicketFactory
from kefu.tickets import selectors
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import (
    TermStats,
    TicketFilter,
    fulltext_q,
    pg_fulltext_plan,
    ticket_list_visible_to,
)

# Statistics that steer the PostgreSQL plan: every word rare (probe the GIN index for the ids) or
# every word in half the tickets of a huge table (walk the order, testing each row's tokens).
RARE = TermStats(freq={}, floor=1e-9, rows=1_000_000)
COMMON = TermStats(freq={}, floor=0.5, rows=1e12)


def _matches(text: str, **kw) -> set[int]:
    return set(Ticket.objects.filter(fulltext_q(text, **kw)).values_list("id", flat=True))


def _every_plan(text: str) -> list[set[int]]:
    """The tickets matching `text` under each plan this database has (one on SQLite)."""
    if connection.vendor != "postgresql":
        return [_matches(text)]
    tokens = selectors.query_tokens(text)

    def forced(**kw) -> set[int]:
        return set(Ticket.objects.filter(selectors._pg_fulltext_q(tokens, **kw)).values_list("id", flat=True))

    # COMMON: several tokens are first checked on the newest tickets (here: too few matches, so
    # probed); check_matches=0 walks without that check; probe_limit=0 overflows into the walk.
    return [_matches(text, stats=None), _matches(text, stats=RARE), _matches(text, stats=COMMON),
            forced(stats=COMMON, check_matches=0), forced(stats=RARE, probe_limit=0)]


def test_plan_choice_follows_the_statistics():
    assert pg_fulltext_plan(("退款",), None) == "gin"
    assert pg_fulltext_plan(("退款",), RARE) == "probe"
    assert pg_fulltext_plan(("退款",), COMMON) == "scan"
    stats = TermStats(freq={"客服": 0.2, "夜间": 0.05, "间客": 0.05, "发票": 0.05}, floor=0.001, rows=1_000_000)
    # The bigrams of one phrase come together: the rarest bounds the phrase (50,000 here).
    assert pg_fulltext_plan(("夜间", "间客", "客服"), stats) == "scan"
    # Separate words multiply (2,500 here): not surely many, so probed.
    assert pg_fulltext_plan(("夜间", "发票"), stats) == "probe"
    assert pg_fulltext_plan(("客服",), stats) == "scan"
    assert pg_fulltext_plan(("退钱",), stats) == "probe"  # below the listed words: rare


def test_several_words_are_checked_on_the_newest_tickets(agent_alice):
    """Several words' shares only give a guess. Two words each in many tickets but never in the same
    one look frequent together: the newest tickets are checked first and the probe finds nothing,
    instead of a walk through the whole table. Two words that meet often look rare together: the
    check sends them to the walk without a probe that would overflow."""
    for i in range(3):
        TicketFactory(actor=agent_alice, title=f"套餐变更咨询{i}", description="想换成5G套餐")
        TicketFactory(actor=agent_alice, title=f"发票金额有误{i}", description="金额开错了")
    for found in _every_plan("套餐 金额"):
        assert found == set()
    if connection.vendor != "postgresql":
        return
    tokens = ("套餐", "金额")
    apart = TermStats(freq={"套餐": 0.01, "金额": 0.01}, floor=0.001, rows=1_000_000)
    assert pg_fulltext_plan(tokens, COMMON) == "scan"  # the estimate alone would walk
    assert pg_fulltext_plan(tokens, apart) == "probe"  # 100 if independent, up to 10,000
    for stats in (COMMON, apart):
        assert selectors.pg_fulltext_choice(tokens, stats, check_matches=2) == ("ids", [])
    both = {TicketFactory(actor=agent_alice, title="套餐金额核对", description="套餐 金额").pk for _ in range(2)}
    for stats in (COMMON, apart):
        # Enough of the newest tickets match: walk (no probe), and the walk finds them.
        assert selectors.pg_fulltext_choice(tokens, stats, check_matches=2) == ("scan", [])
        walked = selectors._pg_fulltext_q(tokens, stats, check_matches=2)
        assert set(Ticket.objects.filter(walked).values_list("id", flat=True)) == both
    # A single word's share is measured, not guessed; rare words cannot overflow the probe: no check.
    assert selectors.pg_fulltext_choice(("套餐",), COMMON, check_matches=100) == ("scan", [])
    plan, ids = selectors.pg_fulltext_choice(tokens, RARE, check_matches=2)
    assert (plan, set(ids)) == ("ids", both)


@pytest.mark.parametrize("text", ["退款到账", "夜间客服", "到账", "a.b_c", "it's", "退款 发票"])
def test_every_plan_finds_the_same_tickets(agent_alice, text):
    hit = TicketFactory(actor=agent_alice, title="退款到账慢", description="希望增加夜间客服 a.b_c it's 发票")
    TicketFactory(actor=agent_alice, title="宽带无法上网", description="光猫红灯")
    for found in _every_plan(text):
        assert found == {hit.pk}
    for found in _every_plan("光猫红灯 退款"):
        assert found == set()


COMMON_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), word_len=st.integers(2, 5), cut=st.integers(0, 3))
def test_planted_word_found_by_every_plan(agent_alice, seed, word_len, cut):
    """A word planted in a ticket's text is found by every plan, also by a slice of it, and a
    ticket without the word is not."""
    rng = random.Random(seed)
    word = "".join(rng.choice(COMMON_CHARS) for _ in range(word_len))
    text = "".join(rng.choice(COMMON_CHARS) for _ in range(rng.randint(0, 20))) + word + "".join(
        rng.choice(COMMON_CHARS) for _ in range(rng.randint(0, 20)))
    t = TicketFactory(actor=agent_alice, title="客户来电", description=text)
    other = TicketFactory(actor=agent_alice, title="zzz", description="qqq")
    try:
        query = word[cut: cut + max(2, word_len - cut)] if word_len - cut >= 2 else word
        for found in _every_plan(query):
            assert t.pk in found
            assert other.pk not in found
    finally:
        Ticket.objects.filter(pk__in=[t.pk, other.pk]).delete()


def test_list_search_keeps_visibility_and_order(agent_alice, teammate_bob, outsider_charlie):
    first = TicketFactory(actor=agent_alice, title="退款一直不到账")
    second = TicketFactory(actor=agent_alice, title="退款到账慢")
    page = ticket_list_visible_to(user=agent_alice, f=TicketFilter(q="到账"))
    assert [t.pk for t in page.items] == [second.pk, first.pk]
    assert [t.pk for t in ticket_list_visible_to(user=outsider_charlie, f=TicketFilter(q="到账")).items] == []
