from __future__ import annotations

import pytest

from kefu.core.errors import DomainError
from kefu.customers.models import Customer, CustomerDocument, CustomerPhone
from kefu.customers.selectors import contact_view, customer_search
from kefu.customers.services import (
    CustomerIdentity,
    customer_add_phone,
    customer_create,
    customer_match_or_create,
    document_archive,
    normalize_phone,
)
from kefu.customers.uploads import check_upload


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("138 1234 1234", "13812341234"), ("+8613812341234", "13812341234"), ("0086-138-1234-1234", "13812341234"),
     ("(010) 6552 1234", "01065521234"), ("+14155550100", "+14155550100")],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12", "138-1234-123a", ""])
def test_normalize_phone_refuses(raw):
    with pytest.raises(DomainError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "invalid_phone"


def test_match_by_phone_email_external_id(tier_normal):
    c = customer_create(actor=None, name="王小明", phones=["13812341234"], email="Wang@Example.com", external_id="CRM-1")
    assert c.tier == tier_normal
    for ident in (
        CustomerIdentity(phone="+86 138 1234 1234"),
        CustomerIdentity(email="wang@example.com"),
        CustomerIdentity(external_id="CRM-1", phone="13999999999"),
    ):
        found, created = customer_match_or_create(actor=None, identity=ident)
        assert (found, created) == (c, False)
    new, created = customer_match_or_create(actor=None, identity=CustomerIdentity(name="李雷", phone="13900001111"))
    assert created and new.name == "李雷" and new.phones.get().is_primary
    with pytest.raises(DomainError) as exc:
        customer_match_or_create(actor=None, identity=CustomerIdentity(name="无名"))
    assert exc.value.code == "customer_identity_required"


def test_external_id_unique_is_a_409(db):
    customer_create(actor=None, name="A", external_id="X1")
    with pytest.raises(DomainError) as exc:
        customer_create(actor=None, name="B", external_id="X1")
    assert exc.value.status == 409 and Customer.objects.count() == 1


def test_add_phone_idempotent(customer_wang):
    customer_add_phone(actor=None, customer=customer_wang, number="13700000000", label="家")
    customer_add_phone(actor=None, customer=customer_wang, number="137 0000 0000")
    assert CustomerPhone.objects.filter(customer=customer_wang).count() == 2


def test_contact_view_masks_for_agents_only(customer_wang, agent_alice, manager_mike, lead_linda):
    v = contact_view(customer=customer_wang, viewer=agent_alice)
    assert v.masked and v.primary_phone == "138****1234" and v.id_number == "1101**********1234"
    assert v.email == "w***@example.com"
    assert contact_view(customer=customer_wang, viewer=manager_mike).primary_phone == "13812341234"
    assert contact_view(customer=customer_wang, viewer=lead_linda).masked
    lead_linda.can_see_contacts = True
    assert not contact_view(customer=customer_wang, viewer=lead_linda).masked


def test_customer_search(customer_wang, agent_alice):
    assert customer_search(viewer=agent_alice, q="13812341234") == [customer_wang]
    assert customer_search(viewer=agent_alice, q="王小") == [customer_wang]
    assert customer_search(viewer=agent_alice, q="wang@example.com") == [customer_wang]
    assert customer_search(viewer=agent_alice, q="13800000000") == []


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.png", b"", "upload_empty"),
        ("a.exe", b"MZ\x90\x00", "upload_type_not_allowed"),
        ("a.png", b"GIF89a....", "upload_type_not_allowed"),
        ("a.txt", b"<html><script>alert(1)</script>", "upload_type_not_allowed"),
        ("a.svg", b"<svg onload=alert(1)>", "upload_type_not_allowed"),
        ("a.txt", b"\x00\x01binary", "upload_type_not_allowed"),
    ],
)
def test_upload_refused(name, content, code):
    with pytest.raises(DomainError) as exc:
        check_upload(name=name, content=content)
    assert exc.value.code == code


def test_upload_size_limit(settings):
    settings.KEFU_UPLOAD_MAX_BYTES = 100
    with pytest.raises(DomainError) as exc:
        check_upload(name="a.png", content=PNG + b"\x00" * 100)
    assert exc.value.code == "upload_too_large" and exc.value.status == 413


@pytest.mark.parametrize(
    ("name", "content"),
    [("../../etc/发票.png", PNG), ("说明.txt", "你好，世界".encode()), ("a.pdf", b"%PDF-1.7 ..."), ("b.docx", b"PK\x03\x04...")],
)
def test_upload_accepted(name, content):
    checked = check_upload(name=name, content=content)
    assert "/" not in checked.name


def test_document_archived_once(customer_wang):
    d1 = document_archive(actor=None, customer=customer_wang, name="a.png", content=PNG)
    d2 = document_archive(actor=None, customer=customer_wang, name="b.png", content=PNG)
    assert d1 == d2 and CustomerDocument.objects.count() == 1
    assert d1.file.read() == PNG


def test_create_refuses_qa_and_too_long_values(qa_quinn):
    with pytest.raises(DomainError):
        customer_create(actor=qa_quinn, name="x")
    with pytest.raises(DomainError) as exc:
        customer_create(actor=None, name="王" * 101)
    assert exc.value.code == "value_too_long" and "name" in exc.value.fields


def test_documents_visible_only_through_visible_tickets(customer_wang, agent_alice, outsider_charlie, manager_mike):
    from kefu.customers.selectors import customer_documents_visible
    from kefu.tests.factories import TicketFactory
    from kefu.tickets.services import Upload

    TicketFactory(actor=agent_alice, customer=customer_wang, uploads=[Upload("身份证.png", PNG)])
    assert len(customer_documents_visible(viewer=agent_alice, customer=customer_wang)) == 1
    assert len(customer_documents_visible(viewer=manager_mike, customer=customer_wang)) == 1
    assert customer_documents_visible(viewer=outsider_charlie, customer=customer_wang) == []
