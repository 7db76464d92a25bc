from yunying_shared.errors import Conflict, Forbidden


class OutOfOrder(Conflict):
    """The item is not in the state this step applies to: nothing changed."""

    code = "out_of_order"


class SeparationOfDuties(Forbidden):
    """The same person may not author and approve, nor do both review stages."""

    code = "separation_of_duties"
