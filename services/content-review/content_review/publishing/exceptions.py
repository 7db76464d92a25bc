from yunying_shared.errors import InvalidInput


class NoPublishTime(InvalidInput):
    pass


class InvalidCalendarRange(InvalidInput):
    pass


class InvalidCadence(InvalidInput):
    pass
