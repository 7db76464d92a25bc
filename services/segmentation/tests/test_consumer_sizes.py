"""Segmentation's consumer sizes: each lane takes its share of a fetch in one transaction."""

from segmentation.config import SegmentationConfig
from segmentation.events.schemas import MAX_BATCH
from yunying_shared.settings import ServiceSettings


def _default(settings: type[ServiceSettings], name: str) -> int:
    value = settings.model_fields[name].default
    assert isinstance(value, int)
    return value


def test_a_lanes_share_of_a_fetch_fits_one_transaction() -> None:
    fetch = _default(SegmentationConfig, "consumer_fetch_max_records")
    per_transaction = _default(SegmentationConfig, "consumer_transaction_max_events")
    lanes = _default(SegmentationConfig, "consumer_lanes")
    # Keys spread over the lanes unevenly by a few per cent: 10% of room keeps a lane's share
    # from spilling into a second, small transaction (each costs PostgreSQL fixed work).
    assert fetch / lanes * 1.1 <= per_transaction
    # Large transactions, as the CPU per event wants, but no larger than the largest batch
    # `POST /v1/events` takes: a rejected item costs its transaction's events one each.
    assert per_transaction <= MAX_BATCH
    assert per_transaction > _default(ServiceSettings, "consumer_transaction_max_events")
