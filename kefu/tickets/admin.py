from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import Category
from kefu.tickets.services import category_save


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "parent", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)

    @admin.display(description=_("name"))
    def indented_name(self, obj: Category) -> str:
        return "— " * obj.depth + obj.name

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        category_save(category=obj)
