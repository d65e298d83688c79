"""Test modules stand alone: none imports another test module (a ``test_*.py`` file).

What tests share lives in helper modules (tests/builders.py, tests/fakes.py,
tests/pages/harness.py, ...) and in the conftest.py of the right folder. Importing a test
module runs its module-level code again under another name and, for fixtures, registers
them twice; it also hides which helpers are shared.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _module_file(dotted: str) -> Path | None:
    """The file of an importable module under the repository root, if it is one."""
    if not dotted:
        return None
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path, level: int) -> str:
    """The dotted package a relative import of ``level`` dots in ``path`` starts from."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[: len(parts) - level])


def imported_test_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for each import in ``path`` (or ``source`` as if it were there) of a
    module whose file is ``test_*.py``."""
    found: list[tuple[int, str]] = []

    def check(dotted: str, line: int) -> None:
        target = _module_file(dotted)
        if target is not None and target.name.startswith("test_"):
            found.append((line, dotted))

    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(path, node.level)
                base = f"{package}.{base}" if base else package
            check(base, node.lineno)
            for alias in node.names:  # ``from tests.x import test_y`` imports a module too
                check(f"{base}.{alias.name}", node.lineno)
    return found


def test_no_module_under_tests_imports_a_test_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in imported_test_modules(path)
    ]
    assert offenders == [], "\n".join(offenders)


def test_the_guard_sees_the_ways_a_test_module_can_be_imported() -> None:
    # given a module in tests/pages importing test modules in each form Python allows
    source = (
        "import tests.pages.test_refund_pages\n"
        "from tests.pages.test_strict_numbers import BAD\n"
        "from tests.pages import test_handler_robustness\n"
        "from .test_refund_pages import two_course_order\n"
        "from . import harness\n"
        "from tests.pages.harness import page_state\n"
        "def later():\n"
        "    from tests.commerce.test_progress import test_percentage_and_passing_score_rules\n"
    )
    # then every test-module import is reported, and no helper import is
    found = imported_test_modules(TESTS / "pages" / "probe.py", source)
    assert [line for line, _ in found] == [1, 2, 3, 4, 8]
