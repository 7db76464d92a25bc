from yunying_shared.errors import InvalidInput, NotFound


class ListEntryNotFound(NotFound):
    pass


class InvalidListBatch(InvalidInput):
    pass
