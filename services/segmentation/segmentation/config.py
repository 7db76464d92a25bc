from __future__ import annotations

from pydantic import Field

from yunying_shared.settings import ServiceSettings


class SegmentationConfig(ServiceSettings):
    """The service's settings: the platform's plus its own knobs, from `YUNYING_SEGMENTATION_*`.
    One object per app (`app.state.settings`); jobs and tests read that one."""

    # CRM events from the topic go through one bulk ingest per transaction (its after-write
    # chain runs once per transaction): up to 1,000, the largest batch `POST /v1/events`
    # takes in one transaction, not the platform's 100. A rejected event costs its
    # transaction's events one transaction each (then it is dead-lettered alone), so not more.
    # A fetch fills each of the 4 lanes with about 900 (keys spread over the lanes unevenly
    # by a few per cent): one transaction per lane per fetch. With 1,000 per fetch (250 per
    # transaction) PostgreSQL spent about 150 µs CPU per event, with 3,600 about 70-100
    # (docs/BENCHMARKS.md, "CRM topic", session 6): fewer commits and relay rounds per event.
    consumer_fetch_max_records: int = Field(default=3600, ge=1)
    consumer_transaction_max_events: int = Field(default=1000, ge=1)
    # Four transactions in flight (events of one user stay in one): one waits on PostgreSQL
    # while another works, as four HTTP clients do.
    consumer_lanes: int = Field(default=4, ge=1)
    # A batch of 100 CRM events at 200 live segments moves ~900 memberships: one packed
    # outbox row of ~900 events. With the platform's 500 events per relay round, each round
    # carried one such row (a read, a publish, a mark: two commits), and the relay fell
    # seconds behind at 500 CRM events/s on a loaded machine; with 5,000 a round takes about
    # five (docs/BENCHMARKS.md, "Segments at a brand's scale", session 6).
    relay_batch_size: int = Field(default=5000, ge=1)
    sweep_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often every workspace is re-scored"
    )
    sweep_enabled: bool = True
    segment_sweep_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often time-dependent segments are re-evaluated "
        "(event windows, 'within N days', tag expiry): the most a window exit can lag",
    )
