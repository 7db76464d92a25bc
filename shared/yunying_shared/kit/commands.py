"""`yunying new-service` and `yunying deploy-files`: the service kit's commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from yunying_shared.kit.definition import installed
from yunying_shared.kit.files import SERVICE_NAME, deploy_files, render_service

FIRST_SERVICE_PORT = 8101


def write_deploy_files(repo: Path, *, check: bool) -> list[str]:
    """Writes the derived deploy files (or, with `check`, lists those that are stale)."""
    stale = []
    for relative, content in deploy_files(installed()).items():
        path = repo / relative
        if path.is_file() and path.read_text() == content:
            continue
        stale.append(relative)
        if not check:
            path.write_text(content)
    return stale


def register_member(pyproject: Path, name: str) -> None:
    """Adds the service to the root project's dependencies and workspace sources, so that a
    plain `uv sync` installs it too."""
    member = f"yunying-{name}"
    text = pyproject.read_text()
    dependencies = re.search(r"^dependencies = \[\n(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    sources = re.search(r"^\[tool\.uv\.sources\]\n", text, re.MULTILINE)
    if dependencies is None or sources is None:
        raise ValueError(f"{pyproject}: no dependencies list or [tool.uv.sources] table")
    text = text[: sources.end()] + f"{member} = {{ workspace = true }}\n" + text[sources.end() :]
    end = dependencies.end(1)
    pyproject.write_text(text[:end] + f'    "{member}",\n' + text[end:])


def new_service(repo: Path, name: str, *, title: str, description: str, install: bool) -> Path:
    if not SERVICE_NAME.match(name):
        raise ValueError(f"{name!r}: use lower-case words joined by hyphens, e.g. loyalty-points")
    target = repo / "services" / name
    if target.exists():
        raise ValueError(f"{target} exists already")
    definitions = installed()
    port = max([FIRST_SERVICE_PORT - 1, *(d.local_port for d in definitions.values())]) + 1
    for relative, content in render_service(
        name, title=title, description=description, port=port
    ).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    register_member(repo / "pyproject.toml", name)
    if install:
        # The lock and the environment learn the new member; then a fresh interpreter (which
        # sees its entry point) derives the deploy files.
        subprocess.run(["uv", "lock", "--quiet"], cwd=repo, check=True)
        subprocess.run(
            ["uv", "sync", "--locked", "--all-packages", "--quiet"], cwd=repo, check=True
        )
        subprocess.run(
            [sys.executable, "-m", "yunying_shared.cli", "deploy-files"], cwd=repo, check=True
        )
    return target
