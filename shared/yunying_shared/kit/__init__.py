from yunying_shared.kit.app import build_app
from yunying_shared.kit.definition import (
    ApiScope,
    EventHandler,
    ReadinessCheck,
    ServiceDefinition,
    installed,
    installed_definition,
    installed_scopes,
    on,
    on_batch,
    route_table,
)

__all__ = [
    "ApiScope",
    "EventHandler",
    "ReadinessCheck",
    "ServiceDefinition",
    "build_app",
    "installed",
    "installed_definition",
    "installed_scopes",
    "on",
    "on_batch",
    "route_table",
]
