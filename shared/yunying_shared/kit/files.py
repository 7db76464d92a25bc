"""Files derived from service definitions: a new service's skeleton (`yunying new-service`), and
the deploy files (`yunying deploy-files`): each service's Dockerfile and `docker-compose.yml`.

Templates use `__name__`-style placeholders rather than `$`/`{}` ones, because Dockerfiles,
compose files and Alembic's Mako template are full of those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yunying_shared.kit.definition import ServiceDefinition

KIT = Path(__file__).resolve().parent
SERVICE_TEMPLATE = KIT / "template"
DEPLOY_TEMPLATES = KIT / "deploy_templates"
TEMPLATE_SUFFIX = ".tmpl"
GATEWAY = "gateway"
# Lower-case words joined by single hyphens: a Python package, a database, an env prefix and a
# compose service can all be derived from it.
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Names:
    service: str

    @property
    def package(self) -> str:
        return self.service.replace("-", "_")

    @property
    def env(self) -> str:
        return self.package.upper()

    def fill(self, text: str, **extra: str) -> str:
        values = {
            "__service__": self.service,
            "__package__": self.package,
            "__ENV__": self.env,
            **{f"__{key}__": value for key, value in extra.items()},
        }
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text


def render_service(service: str, *, title: str, description: str, port: int) -> dict[str, str]:
    """Relative path (under `services/<service>/`) → content of a new service's files."""
    names = Names(service)
    files: dict[str, str] = {}
    for template in sorted(SERVICE_TEMPLATE.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template.relative_to(SERVICE_TEMPLATE).as_posix().removesuffix(TEMPLATE_SUFFIX)
        files[names.fill(relative)] = names.fill(
            template.read_text(), title=title, description=description, port=str(port)
        )
    return files


def render_dockerfile(definition: ServiceDefinition, others: list[str]) -> str:
    names = Names(definition.name)
    if definition.name == GATEWAY:
        # The gateway reads every service's definition (route table, scopes), so its image
        # holds every member.
        manifests = "\n".join(
            f"COPY services/{name}/pyproject.toml services/{name}/" for name in others
        )
        manifests = f"COPY ${{SERVICE_DIR}}/pyproject.toml ${{SERVICE_DIR}}/\n{manifests}"
        sources = "COPY services/ services/"
        sync = "--all-packages"
    else:
        manifests = "COPY ${SERVICE_DIR}/pyproject.toml ${SERVICE_DIR}/"
        sources = "COPY ${SERVICE_DIR}/ ${SERVICE_DIR}/"
        sync = '--package "$MEMBER"'
    return names.fill(
        (DEPLOY_TEMPLATES / "Dockerfile.tmpl").read_text(),
        copy_manifests=manifests,
        copy_sources=sources,
        sync=sync,
    )


def render_compose(definitions: Mapping[str, ServiceDefinition]) -> str:
    others = [name for name in definitions if name != GATEWAY]
    blocks = [
        Names(name).fill((DEPLOY_TEMPLATES / "compose-service.yml.tmpl").read_text())
        for name in others
    ]
    upstreams = json.dumps({name: f"http://{name}:8000" for name in others})
    depends = "".join(
        f"      {name}:\n        condition: service_healthy\n" for name in others
    ).rstrip("\n")
    gateway = Names(GATEWAY).fill(
        (DEPLOY_TEMPLATES / "compose-gateway.yml.tmpl").read_text(),
        upstreams=upstreams,
        depends=depends,
    )
    databases = " ".join(Names(name).package for name in definitions)
    return Names(GATEWAY).fill(
        (DEPLOY_TEMPLATES / "compose.yml.tmpl").read_text(),
        databases=databases,
        services="\n".join([*blocks, gateway]),
    )


def deploy_files(definitions: Mapping[str, ServiceDefinition]) -> dict[str, str]:
    """Repository path → content of every file derived from the installed definitions."""
    others = [name for name in definitions if name != GATEWAY]
    files = {
        f"services/{name}/Dockerfile": render_dockerfile(definition, others)
        for name, definition in definitions.items()
    }
    files["docker-compose.yml"] = render_compose(definitions)
    return files
