"""The scenarios' shared fixture: the distributed mode as `make up` starts it, one uvicorn
process per service (deploy/local/up.sh) on ports of the run's own, a fresh PostgreSQL database
per service, the running Kafka; `down.sh --keep-infra` stops the services afterwards. It lives
here, beside the tests that use it, because it runs the repository's deploy scripts.

    async with distributed_mode(admin=ADMIN) as mode:
        ...  # mode.gateway_url, mode.pids["campaigns"], mode.port_of("campaigns")
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from yunying_shared.kit import installed
from yunying_shared.testing.databases import fresh_postgres_database, kafka_bootstrap, pg_admin_url

REPO = Path(__file__).resolve().parents[2]
# Below Linux's ephemeral range (32768+), where the services' own outgoing connections to
# Kafka and PostgreSQL could take a port between the check and uvicorn's bind.
PORT_RANGE = (20_000, 32_000)
LOCAL_PORT_BASE = 8100


def free_port_range(count: int) -> int:
    """A base port such that base … base+count-1 are all free on loopback right now."""
    for _ in range(50):
        base = random.randrange(*PORT_RANGE)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free range of ports")


def run_script(name: str, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "deploy/local" / name), *args],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


@dataclass
class DistributedMode:
    env: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)
    # Processes a test paused (SIGSTOP): resumed before the services are stopped.
    paused: set[int] = field(default_factory=set)
    up: subprocess.CompletedProcess[str] | None = None  # what up.sh printed

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        """One of deploy/local's scripts with this run's environment."""
        return run_script(script, self.env, *args)

    def any_alive(self) -> bool:
        return any(alive(pid) for pid in self.pids.values())

    @property
    def local(self) -> Path:
        return Path(self.env["YUNYING_LOCAL_DIR"])

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    def port_of(self, service: str) -> int:
        definition = installed()[service]
        return definition.local_port + int(self.env["YUNYING_LOCAL_PORT_OFFSET"])

    def log_tails(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-lines:])
            for log in sorted((self.local / "logs").glob("*.log"))
        )

    async def stop(self, service: str) -> None:
        """Stops one service's process for good (SIGTERM, then waits for it to exit)."""
        pid = self.pids[service]
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if not alive(pid):
                return
            await asyncio.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def pause(self, service: str) -> None:
        """Freezes a service: its port still accepts connections, nothing answers (slow)."""
        pid = self.pids[service]
        os.kill(pid, signal.SIGSTOP)
        self.paused.add(pid)

    def resume_all(self) -> None:
        for pid in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.paused.clear()


@asynccontextmanager
async def started_distributed_mode(
    tmp_path: Path, *, admin: Mapping[str, str], extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[DistributedMode]:
    """Every installed service started by up.sh, and stopped by down.sh afterwards."""
    pg_admin_url()  # skips (or fails in CI) before anything starts when PostgreSQL is absent
    bootstrap = kafka_bootstrap()
    services = sorted(installed())
    base = free_port_range(len(services))
    env = {
        **os.environ,
        "PORT": str(base),
        "YUNYING_LOCAL_PORT_OFFSET": str(base - LOCAL_PORT_BASE),  # services at local_port + it
        "YUNYING_LOCAL_DIR": str(tmp_path / "local"),
        "YUNYING_KAFKA_BOOTSTRAP": bootstrap,
        "YUNYING_KAFKA_PORT": bootstrap.rsplit(":", 1)[1],
        "YUNYING_SKIP_BOOTSTRAP": "1",  # `make test` installed; do not touch the running venv
        "YUNYING_ADMIN_EMAIL": admin["email"],
        "YUNYING_ADMIN_PASSWORD": admin["password"],
        **(extra_env or {}),
    }
    async with AsyncExitStack() as stack:
        for service in services:
            url = await stack.enter_async_context(fresh_postgres_database("dist"))
            env[f"YUNYING_{service.upper().replace('-', '_')}_DATABASE_URL"] = url
        mode = DistributedMode(env)
        try:
            mode.up = up = await asyncio.to_thread(mode.run, "up.sh")
            assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{mode.log_tails()}"
            mode.pids = {p.stem: int(p.read_text()) for p in (mode.local / "pids").glob("*.pid")}
            yield mode
        finally:
            mode.resume_all()
            down = await asyncio.to_thread(mode.run, "down.sh", "--keep-infra")
            assert down.returncode == 0, down.stderr


@pytest.fixture
def distributed_mode(tmp_path: Path) -> Callable[..., Any]:
    """`async with distributed_mode(admin=..., extra_env=...) as mode:` in the test's tmp_path."""
    return partial(started_distributed_mode, tmp_path)
