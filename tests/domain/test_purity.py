"""The domain package stays plain Python: no framework, ORM or payment SDK imports."""

import ast
from pathlib import Path

import commerce_dash.domain

FORBIDDEN = {"reflex", "fastapi", "sqlmodel", "sqlalchemy", "stripe", "starlette"}


def test_domain_modules_import_no_framework():
    root = Path(commerce_dash.domain.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert len(list(root.rglob("*.py"))) >= 5
    assert offenders == []
