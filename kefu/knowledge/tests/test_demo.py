from kefu.knowledge.demo import ARTICLES, CASES, REPLIES, load_knowledge_demo
from kefu.knowledge.models import Article, CannedReply, Case
from kefu.knowledge.search import SearchFilter, search
from kefu.knowledge.selectors import reply_lookup


def test_demo_knowledge_loads_and_is_searchable(agent_alice, lead_linda, manager_mike):
    summary = load_knowledge_demo(author=agent_alice, reviewer=lead_linda, manager=manager_mike)
    assert summary.articles == Article.objects.count() == len(ARTICLES) >= 30
    assert summary.replies == CannedReply.objects.count() == len(REPLIES) >= 40
    assert summary.cases == Case.objects.count() >= 15 == len(CASES)
    hits = search(user=agent_alice, query="退钱多久到账", f=SearchFilter(kinds=("article", "reply", "case")))
    assert hits and "退款" in hits[0].title
    assert [r.title for r in reply_lookup(user=manager_mike, typed="tkbl")] == ["退款办理"]  # pinyin initials
    assert reply_lookup(user=manager_mike, typed="tk")[0].title == "退款办理"
