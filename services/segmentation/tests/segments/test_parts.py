"""A split re-score's parts (segments/parts.py): numpy and PostgreSQL put every profile id in
the same part, and ids that share a pattern spread over the parts."""

import numpy as np
import pytest
from sqlalchemy import BigInteger, column, select, values

from segmentation.segments.parts import in_part, part_of

IDS = np.array([*range(1, 3001), 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 7, 2**40 + 3, 2**62])


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_postgresql_puts_each_id_in_the_part_numpy_does(session):
    ids = values(column("id", BigInteger), name="ids").data([(int(i),) for i in IDS])
    for parts in (2, 3):
        in_sql: dict[int, int] = {}
        for part in range(parts):
            rows = await session.execute(
                select(ids.c.id).where(in_part(ids.c.id)), {"part": part, "parts": parts}
            )
            in_sql.update((row[0], part) for row in rows)
        assert in_sql == dict(zip(IDS.tolist(), part_of(IDS, parts).tolist(), strict=True))


def test_every_twentieth_id_spreads_over_both_parts():
    ids = np.arange(1, 1_000_001)
    for pattern in (ids[ids % 20 == 0], ids[ids % 2 == 0], ids):
        share = part_of(pattern, 2).mean()
        assert 0.49 < share < 0.51, share  # id % 2 put every even id in part 0
