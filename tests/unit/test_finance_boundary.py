"""finance/ imports nothing from the rest of autofin, so it repeats the ledger kinds as strings:
these tests keep the two lists equal, and finance/ free of project imports."""

import ast
from pathlib import Path

from finance.servicing import EVENT_KINDS
from models.enums import LedgerEntryKind

FINANCE = Path(__file__).resolve().parents[2] / "finance"
PROJECT_PACKAGES = {"models", "graph", "resolvers", "auth", "jobs", "mail", "service", "documents", "migrations"}


def test_engine_knows_exactly_the_stored_ledger_kinds():
    assert set(EVENT_KINDS) == {kind.value for kind in LedgerEntryKind}


def test_finance_imports_only_the_standard_library_and_itself():
    for path in FINANCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in PROJECT_PACKAGES, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in PROJECT_PACKAGES, f"{path.name} imports {alias.name}"
