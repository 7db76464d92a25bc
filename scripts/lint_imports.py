"""Import contracts, derived from the installed services: shared never imports a service, and
services never import each other. Contracts about one service's inside (e.g. segmentation's
layers) stay in pyproject.toml's [tool.importlinter]; they are checked together."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from yunying_shared.kit import installed

REPO = Path(__file__).resolve().parents[1]


def contracts() -> dict[str, object]:
    own = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    packages = sorted(definition.package for definition in installed().values())
    return {
        "root_packages": ["yunying_shared", *packages],
        "contracts": [
            {
                "name": "shared never imports a service",
                "type": "forbidden",
                "source_modules": ["yunying_shared"],
                "forbidden_modules": packages,
            },
            {
                "name": "services never import each other",
                "type": "independence",
                "modules": packages,
            },
            *own.get("contracts", []),
        ],
    }


def _toml(config: dict[str, object]) -> str:
    def value(v: object) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(value(item) for item in v) + "]"
        if isinstance(v, bool):
            return "true" if v else "false"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[tool.importlinter]", f"root_packages = {value(config['root_packages'])}"]
    for contract in config["contracts"]:  # type: ignore[attr-defined]
        lines.append("\n[[tool.importlinter.contracts]]")
        lines.extend(f"{key} = {value(v)}" for key, v in contract.items())
    return "\n".join(lines) + "\n"


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", dir=REPO, prefix=".importlinter-") as f:
        f.write(_toml(contracts()))
        f.flush()
        lint = Path(sys.executable).with_name("lint-imports")
        return subprocess.run([str(lint), "--no-cache", f.name], cwd=REPO).returncode


if __name__ == "__main__":
    raise SystemExit(main())
