from campaigns.errors import naming
from yunying_shared.errors import Conflict, DomainError, NotFound


def experiment_not_found(experiment_id: object) -> DomainError:
    return naming(NotFound, "experiment_id", f"No experiment {experiment_id} in this workspace.")


def not_running(status: str) -> DomainError:
    return naming(Conflict, "status", f"The experiment is {status}, not running.")


def cannot_conclude(recommendation: str, decision: str) -> DomainError:
    return naming(
        Conflict,
        "recommendation",
        f"The experiment cannot be concluded yet ({recommendation}): {decision}",
        recommendation=recommendation,
    )
