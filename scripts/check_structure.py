"""Structure rules `make lint` enforces (and tests/test_structure.py runs too):

1. Raw driver connections only through `yunying_shared.db.driver_connection()`: the driver's
   connection taken any other way may run statements outside the session's transaction (its
   BEGIN is sent lazily), so `get_raw_connection` appears only in `shared/yunying_shared/db/`.
2. No PostgreSQL-vs-SQLite branches in service code: what differs sits behind the database's
   `SqlDialect` (yunying_shared.db) and a service's storage seam (`storage.py` modules, or a
   `storage/` package, choosing with `PerDialect`). Migrations are exempt: DDL differs.

Prints each violation as path:line: rule, and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW_CONNECTION = re.compile(r"\bget_raw_connection\b")
RAW_CONNECTION_HOME = Path("shared/yunying_shared/db")
# `dialect == "postgresql"`, `.dialect.name`, `dialect_of(session)`, `dialect != ...`
DIALECT_BRANCH = re.compile(r"\bdialect\s*[!=]=|\bdialect_of\(|\.dialect\.name\b")
SKIPPED_DIRECTORIES = {".venv", "node_modules", "__pycache__", ".git"}


def python_files(root: Path, *parts: str) -> Iterator[Path]:
    for base in parts:
        directory = root / base
        if not directory.exists():
            continue
        for path in sorted(directory.rglob("*.py")):
            if not SKIPPED_DIRECTORIES.intersection(path.relative_to(root).parts):
                yield path


def is_storage_seam(relative: Path) -> bool:
    return relative.name == "storage.py" or "storage" in relative.parts[:-1]


def is_service_domain_code(relative: Path) -> bool:
    """services/<name>/<package>/... but not the service's tests or migrations."""
    parts = relative.parts
    return (
        len(parts) >= 4
        and parts[0] == "services"
        and parts[2] not in ("tests", "migrations")
        and "tests" not in parts
    )


def violations(root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for path in python_files(root, "shared", "services", "bench", "tests", "scripts"):
        relative = path.relative_to(root)
        if relative == Path("scripts/check_structure.py") or relative.name == "test_structure.py":
            continue  # the rules' own text
        lines = path.read_text(encoding="utf-8").splitlines()
        in_driver_home = RAW_CONNECTION_HOME in relative.parents
        domain = is_service_domain_code(relative) and not is_storage_seam(relative)
        for number, line in enumerate(lines, start=1):
            if not in_driver_home and RAW_CONNECTION.search(line):
                found.append(
                    f"{relative}:{number}: get_raw_connection outside {RAW_CONNECTION_HOME}/ "
                    "(use yunying_shared.db.driver_connection)"
                )
            if domain and DIALECT_BRANCH.search(line):
                found.append(
                    f"{relative}:{number}: dialect branch in service code (use "
                    "yunying_shared.db.sql_dialect / PerDialect in a storage seam)"
                )
    return found


def main() -> int:
    found = violations()
    for violation in found:
        print(violation)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
