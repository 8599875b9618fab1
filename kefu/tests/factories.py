"""factory_boy factories shared by every app's tests. Domain rows are made through services where a
service exists, so tests exercise the same path as the product."""

from __future__ import annotations

from typing import Any

import factory

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.customers.models import Customer, CustomerTier
from kefu.customers.services import customer_create
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import TicketInput, category_save, ticket_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AGENT
    password = factory.django.Password("pw-kefu-123")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerTier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"等级{n}")
    rank = 0


def CustomerFactory(*, name: str = "张三", phones: list[str] | None = None, **kw: Any) -> Customer:  # noqa: N802
    return customer_create(actor=None, name=name, phones=phones or [], **kw)


def CategoryFactory(*, name: str, parent: Category | None = None) -> Category:  # noqa: N802
    return category_save(category=Category(name=name, parent=parent))


def TicketFactory(*, actor: User | None, title: str = "宽带无法上网", **kw: Any) -> Ticket:  # noqa: N802
    return ticket_create(actor=actor, data=TicketInput(title=title, **kw))
