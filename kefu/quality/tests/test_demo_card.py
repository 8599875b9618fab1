from __future__ import annotations

from kefu.quality.demo import HOTLINE
from kefu.quality.prescreen import RULE_ITEMS


def test_every_finding_of_the_prescreen_prefills_an_item_of_the_demo_hotline_card() -> None:
    names = {name for _section, items in HOTLINE for name, *_rest in items}
    assert set(RULE_ITEMS.values()) <= names
    assert sum(points for _section, items in HOTLINE for _name, _kind, points, _desc in items) == 100
