from __future__ import annotations

from django.contrib import admin

from kefu.customers.models import Customer, CustomerAsset, CustomerPhone, CustomerTier, Tag


class PhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 0


class AssetInline(admin.TabularInline):
    model = CustomerAsset
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "is_vip", "account_manager", "created_at")
    list_filter = ("tier", "is_vip")
    search_fields = ("name", "email", "phones__number", "external_id")
    inlines = [PhoneInline, AssetInline]
    autocomplete_fields = ("account_manager",)
    filter_horizontal = ("tags",)


@admin.register(CustomerTier)
class CustomerTierAdmin(admin.ModelAdmin):
    list_display = ("name", "rank", "is_default")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
