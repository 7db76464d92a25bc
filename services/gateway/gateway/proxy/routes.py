"""Which service owns which path. The table is built from the installed service definitions
(`yunying_shared.kit.route_table`); the gateway forwards `/v1/…` by it and nothing else."""

from __future__ import annotations

from collections.abc import Mapping


def owner_of(table: Mapping[str, str], path: str) -> str | None:
    """The service owning `path`: the longest prefix that matches whole path segments."""
    best: tuple[int, str] | None = None
    for prefix, service in table.items():
        root = prefix.rstrip("/")
        if (path == root or path.startswith(root + "/")) and (best is None or len(root) > best[0]):
            best = (len(root), service)
    return best[1] if best else None
