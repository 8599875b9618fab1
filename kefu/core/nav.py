"""Main-menu entries contributed by apps, so a new app adds its pages without editing the header.

In the app's AppConfig:

    nav_items = [NavItem("knowledge:index", _("Knowledge"), key="knowledge")]

`key` is compared with the `nav` context variable to mark the current page; `visible` decides per user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    key: str
    visible: Callable[[Any], bool] = lambda user: True
    order: int = 100


def nav_items_for(user: Any) -> list[dict[str, Any]]:
    items: list[NavItem] = []
    for config in apps.get_app_configs():
        items.extend(getattr(config, "nav_items", ()))
    out = []
    for item in sorted(items, key=lambda i: i.order):
        if not item.visible(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"url": url, "label": item.label, "key": item.key})
    return out
