"""The container files cannot be run here (no Docker engine), so they are checked against what
the code registers: they are exactly what `yunying deploy-files` derives from the installed
service definitions, and what it derives gives every service its Dockerfile, a compose service
with its own database and the shared settings, and an upstream at the gateway."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from gateway.config import local_upstreams
from yunying_shared.kit import installed
from yunying_shared.kit.commands import write_deploy_files

REPO = Path(__file__).resolve().parents[1]
DEFINITIONS = installed()
FACTORIES = {name: f"{d.package}.main:create_app" for name, d in DEFINITIONS.items()}
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
INFRA = {"postgres", "kafka", "redis"}


def _env_name(service: str) -> str:
    return service.upper().replace("-", "_")


def test_every_registered_service_is_deployed():
    assert "gateway" in FACTORIES and len(FACTORIES) >= 5
    assert set(COMPOSE["services"]) - INFRA == set(FACTORIES)
    for service in FACTORIES:
        assert (REPO / "services" / service / "Dockerfile").is_file()


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_dockerfile_runs_the_registered_factory_as_non_root_with_a_healthcheck(service):
    text = (REPO / "services" / service / "Dockerfile").read_text()
    assert f'"--factory", "{FACTORIES[service]}"' in text
    assert f"ARG MEMBER=yunying-{service}\n" in text
    assert f"ARG SERVICE_DIR=services/{service}\n" in text
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
    assert "useradd --system --uid 10001" in text
    assert text.count("FROM ") == 2  # builder and runtime
    healthcheck = text[text.index("HEALTHCHECK") : text.index("\nCMD ")]
    assert "urllib.request" in healthcheck and "/healthz" in healthcheck


def test_deploy_files_are_derived_from_the_installed_definitions():
    stale = write_deploy_files(REPO, check=True)
    assert stale == [], "run `make docs` (yunying deploy-files) and commit the result"


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_compose_service_has_its_own_database_and_the_shared_settings(service):
    spec = COMPOSE["services"][service]
    env = spec["environment"]
    assert spec["build"] == {"context": ".", "dockerfile": f"services/{service}/Dockerfile"}
    database = f"yunying_{service.replace('-', '_')}"
    assert env[f"YUNYING_{_env_name(service)}_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env[f"YUNYING_{_env_name(service)}_DATABASE_URL"].endswith(f"@postgres:5432/{database}")
    assert (
        database.removeprefix("yunying_")
        in COMPOSE["services"]["postgres"]["environment"]["YUNYING_DATABASES"].split()
    )
    assert env["YUNYING_BUS"] == "kafka"
    assert env["YUNYING_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert "YUNYING_INTERNAL_TOKEN_SECRET" in env
    for infra in ("postgres", "kafka"):  # Redis serves the gateway alone
        assert spec["depends_on"][infra] == {"condition": "service_healthy"}
    assert ("ports" in spec) == (service == "gateway")  # only the gateway is published


def test_gateway_reaches_every_other_service_once_they_are_healthy():
    gateway = COMPOSE["services"]["gateway"]
    upstreams = json.loads(gateway["environment"]["YUNYING_GATEWAY_UPSTREAMS"])
    others = set(FACTORIES) - {"gateway"}
    assert upstreams == {service: f"http://{service}:8000" for service in others}
    for service in others:
        assert gateway["depends_on"][service] == {"condition": "service_healthy"}
    # Rate limits shared by its replicas, in the compose file's Redis.
    assert gateway["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert gateway["environment"]["YUNYING_GATEWAY_RATE_LIMIT_REDIS_URL"].endswith(
        "redis://redis:6379/0}"
    )


def test_infrastructure_uses_the_official_images_with_healthchecks():
    assert COMPOSE["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert COMPOSE["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert COMPOSE["services"]["postgres"]["image"] == "postgres:16"
    for infra in INFRA:
        assert COMPOSE["services"][infra]["healthcheck"]["test"]


def test_local_ports_are_unique_and_the_gateways_default_upstreams_use_them():
    ports = [definition.local_port for definition in DEFINITIONS.values()]
    assert len(set(ports)) == len(ports)
    assert local_upstreams() == {
        name: f"http://127.0.0.1:{d.local_port}"
        for name, d in DEFINITIONS.items()
        if name != "gateway"
    }


@pytest.mark.parametrize(
    "script", ["deploy/local/up.sh", "deploy/local/down.sh", "deploy/docker/postgres-init.sh"]
)
def test_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(REPO / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
