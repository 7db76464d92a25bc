"""`yunying new-service` in a throwaway copy of the repository: the generated service installs,
is derived into the deploy files and the gateway's route table, and passes its own smoke test in
both modes (SQLite + local bus, PostgreSQL + Kafka) with no edit anywhere else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
NAME = "loyalty-points"

pytestmark = pytest.mark.slow


def _copy_of_the_repository(target: Path) -> Path:
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())
    return target


def _run(copy: Path, *command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=copy, capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_generated_service_installs_is_routed_deployed_and_passes_its_smoke_test(tmp_path):
    copy = _copy_of_the_repository(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    _run(
        copy,
        "uv",
        "sync",
        "--locked",
        "--all-packages",
        "--quiet",
        "--python",
        sys.executable,
        env=env,
    )
    python = str(copy / ".venv/bin/python")
    _run(copy, python, "-m", "yunying_shared.cli", "new-service", NAME, env=env)

    service = copy / "services" / NAME
    assert (service / "loyalty_points" / "main.py").is_file()
    compose = yaml.safe_load((copy / "docker-compose.yml").read_text())
    assert NAME in compose["services"]
    assert NAME in compose["services"]["gateway"]["depends_on"]
    assert (service / "Dockerfile").is_file()
    derived = _run(
        copy,
        python,
        "-c",
        "from yunying_shared.kit import installed, route_table; d = installed(); "
        f"print(route_table(d)['/v1/{NAME}/'], d['{NAME}'].local_port)",
        env=env,
    ).split()
    assert derived[0] == NAME and int(derived[1]) > 8100
    _run(copy, python, "-m", "yunying_shared.cli", "deploy-files", "--check", env=env)

    # Its own smoke test, in both modes (the distributed one needs PostgreSQL and Kafka).
    output = _run(
        copy,
        str(copy / ".venv/bin/pytest"),
        "-q",
        "-p",
        "no:cacheprovider",
        f"services/{NAME}",
        env=env,
    )
    assert "2 passed" in output, output
