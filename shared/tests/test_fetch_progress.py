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
    placed = {(m.partition, m.offset): one for one in progress.placed for m in [one[0]]}

    def finish(*keys: tuple[int, int]) -> dict[TopicPartition, int]:
        return progress.finish([placed[key] for key in keys])

    assert finish((0, 11), (0, 14)) == {}  # 10 is still in flight
    assert finish((0, 10)) == {T0: 13}  # 13 next (12 is not in the log)
    assert finish((1, 5)) == {T1: 6}
    assert finish((0, 13)) == {T0: 15}  # everything fetched: one past the last


def test_a_partition_fetched_in_two_runs_is_one_partition():
    # Subscriptions return a fetch partition by partition; should one come back interleaved,
    # each partition is still one record, its offsets in fetched order.
    fetched = [_m(0, 1), _m(1, 7), _m(0, 2)]
    progress = FetchProgress(fetched)
    assert [m.offset for m, _ in progress.placed] == [1, 7, 2]
    assert progress.placed[0][1] is progress.placed[2][1]
    assert progress.finish([progress.placed[2]]) == {}  # offset 1 is still in flight
    assert progress.finish([progress.placed[0], progress.placed[1]]) == {T0: 3, T1: 8}
