from yunying_shared.errors import InvalidInput, NotFound


class ProfileNotFound(NotFound):
    code = "profile_not_found"


class ProfileExtraTooLarge(InvalidInput):
    code = "profile_extra_too_large"
