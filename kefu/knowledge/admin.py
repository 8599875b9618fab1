from __future__ import annotations

from typing import Any

from django.contrib import admin

from kefu.knowledge.models import DictionaryWord, SynonymGroup
from kefu.knowledge.services import dictionary_word_save, synonym_group_save


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("words", "is_active")
    search_fields = ("words",)

    def save_model(self, request: Any, obj: SynonymGroup, form: Any, change: bool) -> None:
        synonym_group_save(group=obj)


@admin.register(DictionaryWord)
class DictionaryWordAdmin(admin.ModelAdmin):
    list_display = ("word", "freq")
    search_fields = ("word",)

    def save_model(self, request: Any, obj: DictionaryWord, form: Any, change: bool) -> None:
        dictionary_word_save(word=obj)
