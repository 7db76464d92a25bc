from yunying_shared.errors import Conflict, InvalidInput, NotFound


class ItemNotFound(NotFound):
    pass


class RevisionNotFound(NotFound):
    pass


class NotEditable(Conflict):
    code = "not_editable"


class InvalidItemQuery(InvalidInput):
    pass
