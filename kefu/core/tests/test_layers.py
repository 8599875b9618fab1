"""The dependency rules of docs/architecture.md, checked on the source (import-linter checks the
layers in `make lint`; this test checks what import-linter cannot see: imports inside functions).

- No function-local imports of kefu modules anywhere in kefu/ (they hide import cycles), except in
  apps.py (AppConfig.ready() and nav checks: the app registry must be ready first), under `if TYPE_CHECKING:`, and
  in migrations (which must not import today's code at module level) and tests.
- kefu/tickets imports none of the apps that react to tickets.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
REACTING_APPS = {
    "sla", "dispatch", "surveys", "knowledge", "workforce", "quality", "performance", "points", "chat", "bot",
    "realtime", "contact_channels", "channels", "complaints", "operations", "appointments", "triage",
}


def _sources() -> list[Path]:
    return [
        p for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and "tests" not in p.parts and p.name != "conftest.py"
    ]


def _kefu_module(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.ImportFrom):
        mod = node.module or ""
        return mod if mod == "kefu" or mod.startswith("kefu.") else None
    for alias in node.names:
        if alias.name.startswith("kefu."):
            return alias.name
    return None


def function_local_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            elif isinstance(child, ast.Import | ast.ImportFrom):
                mod = _kefu_module(child)
                allowed = path.name == "apps.py"  # the app registry must be ready before models import
                if func is not None and mod is not None and not allowed:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{child.lineno} {func}() imports {mod}")
            else:
                visit(child, func)

    visit(tree, None)
    return found


def test_no_function_local_imports_of_kefu_modules() -> None:
    found = [line for path in _sources() for line in function_local_imports(path)]
    assert found == [], "function-local imports hide import cycles; import at module level:\n" + "\n".join(found)


def test_the_checker_sees_a_function_local_import(tmp_path: Path) -> None:
    bad = PACKAGE / "core" / "_layers_probe.py"
    bad.write_text("def f():\n    from kefu.sla.services import sla_recompute\n    return sla_recompute\n")
    try:
        assert function_local_imports(bad) == ["kefu/core/_layers_probe.py:2 f() imports kefu.sla.services"]
    finally:
        bad.unlink()


def test_tickets_import_no_app_that_reacts_to_them() -> None:
    found = []
    for path in (PACKAGE / "tickets").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom) and (mod := _kefu_module(node)):
                if mod.split(".")[1] in REACTING_APPS:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {mod}")
    assert found == []
