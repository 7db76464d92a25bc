from yunying_shared.errors import NotFound


class WorkspaceNotFound(NotFound):
    """Also what a non-member gets: a workspace the caller does not belong to is invisible."""

    code = "workspace_not_found"

    def __init__(self) -> None:
        super().__init__("Workspace not found.")
