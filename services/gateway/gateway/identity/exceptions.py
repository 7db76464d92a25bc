from yunying_shared.errors import Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"

    def __init__(self) -> None:
        # One message for a wrong email and a wrong password: no user enumeration.
        super().__init__("Incorrect email or password.")


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"

    def __init__(self, detail: str = "The refresh token is invalid or expired.") -> None:
        super().__init__(detail)


class RefreshTokenReused(InvalidRefreshToken):
    """A revoked token came back: someone holds a copy, so its whole family is revoked."""

    code = "refresh_token_reused"

    def __init__(self) -> None:
        super().__init__(
            "The refresh token was already used; every session from that login has been signed out."
        )
