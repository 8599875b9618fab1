from __future__ import annotations

from django.urls import reverse

from kefu.conftest import login
from kefu.customers.models import CustomerAsset
from kefu.customers.services import document_archive
from kefu.tests.factories import CustomerFactory, TicketFactory

HX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4 test"


def test_anonymous_is_sent_to_login(client, customer_wang):
    for url in (reverse("customers:search"), reverse("customers:detail", args=[customer_wang.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_customer_page_masks_contacts_for_agents(client, customer_wang, agent_alice, manager_mike):
    CustomerAsset.objects.create(customer=customer_wang, kind="vehicle", identifier="京A12345", name="轩逸")
    t = TicketFactory(actor=agent_alice, title="车辆异响", customer=customer_wang)
    url = reverse("customers:detail", args=[customer_wang.pk])
    login(client, agent_alice)
    body = client.get(url).content.decode()
    assert "王小明" in body and "138****1234" in body and "13812341234" not in body
    assert "1101**********1234" in body and "w***@example.com" in body
    assert "京A12345" in body and t.number in body
    login(client, manager_mike)
    body = client.get(url).content.decode()
    assert "13812341234" in body and "110101199001011234" in body and "wang@example.com" in body


def test_customer_page_lists_only_visible_tickets(client, customer_wang, agent_alice, outsider_charlie):
    t = TicketFactory(actor=agent_alice, title="一线的工单", customer=customer_wang)
    login(client, outsider_charlie)
    response = client.get(reverse("customers:detail", args=[customer_wang.pk]))
    assert response.status_code == 200 and t.number not in response.content.decode()


def test_unknown_customer_is_404(client, agent_alice):
    login(client, agent_alice)
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_customer_text_is_escaped(client, agent_alice, tier_normal):
    c = CustomerFactory(name="<script>alert(1)</script>", phones=["13700000000"], notes="<b>备注</b>")
    login(client, agent_alice)
    body = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body and "<b>备注" not in body


def test_document_download_only_through_the_view(client, customer_wang, agent_alice):
    doc = document_archive(actor=agent_alice, customer=customer_wang, name="发票.pdf", content=PDF)
    login(client, agent_alice)
    body = client.get(reverse("customers:detail", args=[customer_wang.pk])).content.decode()
    url = reverse("customers:document", args=[customer_wang.pk, doc.pk])
    assert url in body and "/media/" not in body
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    other = CustomerFactory(name="别人", phones=["13600000000"])
    assert client.get(reverse("customers:document", args=[other.pk, doc.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_search_page_and_partial(client, customer_wang, agent_alice):
    login(client, agent_alice)
    body = client.get(reverse("customers:search"), {"q": "13812341234"}).content.decode()
    assert "王小明" in body and "138****1234" in body and "13812341234\"" not in body.split('id="customer-results"')[1]
    response = client.get(reverse("customers:search"), {"q": "王"}, HTTP_HX_TARGET="customer-results", **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="customer-results"') and "王小明" in body and "<html" not in body


def test_intake_lookup_partial(client, customer_wang, agent_alice):
    login(client, agent_alice)
    response = client.get(reverse("customers:search"), {"phone": "138 1234 1234"}, HTTP_HX_TARGET="intake-customer", **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="intake-customer"') and "王小明" in body and "138****1234" in body
    response = client.get(reverse("customers:search"), {"phone": "13999999999"}, HTTP_HX_TARGET="intake-customer", **HX)
    body = response.content.decode()
    assert "王小明" not in body and "match-new" in body


def test_search_with_odd_input_never_fails(client, agent_alice):
    login(client, agent_alice)
    for q in ("", "%", "'; drop table", "x" * 500, "+86"):
        assert client.get(reverse("customers:search"), {"q": q}).status_code == 200
