from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The `kefu demo` command and its data. No models: nothing of it shows in the UI."""

    name = "kefu.demo"
    label = "demo"
