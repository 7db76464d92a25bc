"""The commit position of a partition whose messages lanes finish out of order."""

from yunying_shared.bus.progress import FetchProgress
from yunying_shared.bus.transport import Received, TopicPartition

T0 = TopicPartition("t", 0)
T1 = TopicPartition("t", 1)


def _m(partition: int, offset: int) -> Received:
    return Received("t", b"k", b"", partition=partition, offset=offset)


def test_the_position_stops_at_the_lowest_unfinished_offset():
    fetched = [_m(0, 10), _m(0, 11), _m(0, 13), _m(0, 14), _m(1, 5)]
    progress = FetchProgress(fetched)

    assert progress.finish([_m(0, 11), _m(0, 14)]) == {}  # 10 is still in flight
    assert progress.finish([_m(0, 10)]) == {T0: 13}  # 13 next (12 is not in the log)
    assert progress.finish([_m(1, 5)]) == {T1: 6}
    assert progress.finish([_m(0, 13)]) == {T0: 15}  # everything fetched: one past the last
