from __future__ import annotations

import pytest

from kefu.knowledge import lexicon


@pytest.fixture(autouse=True)
def _fresh_lexicon(db):
    lexicon.lexicon_reset()
    lexicon._lexicon = None
    yield
