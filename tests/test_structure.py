"""The structure rules of scripts/check_structure.py: the tree keeps them, and the check
notices each kind of violation (in a throwaway tree)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_structure", ROOT / "scripts" / "check_structure.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_structure", module)
    spec.loader.exec_module(module)
    return module


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_tree_keeps_the_structure_rules() -> None:
    assert _check().violations(ROOT) == []


def test_raw_driver_connections_only_inside_shared_db(tmp_path: Path) -> None:
    raw = "driver = (await conn.get_raw_connection()).driver_connection\n"
    _write(tmp_path, "shared/yunying_shared/db/driver.py", raw)
    _write(tmp_path, "services/demo/demo/things/service.py", raw)
    _write(tmp_path, "shared/yunying_shared/bus/outbox.py", raw)

    found = _check().violations(tmp_path)

    assert sorted(line.split(":")[0] for line in found) == [
        "services/demo/demo/things/service.py",
        "shared/yunying_shared/bus/outbox.py",
    ]
    assert all("driver_connection" in line for line in found)


@pytest.mark.parametrize(
    "branch",
    [
        'if dialect_of(session) == "postgresql":\n',
        'if database.dialect == "postgresql":\n',
        'postgres = session.get_bind().dialect.name == "postgresql"\n',
        'if self.dialect != "sqlite":\n',
    ],
)
def test_dialect_branches_only_in_storage_seams(tmp_path: Path, branch: str) -> None:
    _write(tmp_path, "services/demo/demo/things/service.py", branch)
    _write(tmp_path, "services/demo/demo/things/storage.py", branch)
    _write(tmp_path, "services/demo/demo/storage/postgres.py", branch)
    _write(tmp_path, "services/demo/migrations/versions/0001_first.py", branch)
    _write(tmp_path, "services/demo/tests/test_things.py", branch)

    found = _check().violations(tmp_path)

    assert [line.split(":")[0] for line in found] == ["services/demo/demo/things/service.py"]
    assert "dialect branch" in found[0]


def test_strategy_calls_are_not_branches(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "services/demo/demo/things/service.py",
        "day = sql_dialect(session).utc_day(column)\nstorage = STORAGE.of(session)\n",
    )
    assert _check().violations(tmp_path) == []
