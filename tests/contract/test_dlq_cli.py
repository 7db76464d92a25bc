"""`yunying dlq list` and `yunying dlq replay`, run as operators run them, on both transports."""

import asyncio
import os
import sys

from yunying_shared.bus import dlq_topic
from yunying_shared.bus.transport import Message
from yunying_shared.events import Envelope


async def _yunying(transport_kind, transport, tmp_path, *args):
    env = {**os.environ, "YUNYING_BUS": transport_kind, "YUNYING_STATE_DIR": str(tmp_path)}
    if transport_kind == "kafka":
        env["YUNYING_KAFKA_BOOTSTRAP"] = transport.bootstrap
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "yunying_shared.cli",
        "dlq",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


def _dead(topic, envelope, offset):
    headers = (
        ("ce_type", b"t"),
        ("dlq.origin.topic", topic.encode()),
        ("dlq.origin.partition", b"0"),
        ("dlq.origin.offset", str(offset).encode()),
        ("dlq.error", b"RuntimeError: boom"),
    )
    return Message(dlq_topic(topic), b"k", envelope.to_bytes(), headers)


async def test_list_and_replay_dead_letters_once(transport_kind, transport, topic, tmp_path):
    first, second = (
        Envelope(source="/t", type="yunying.contract.x.v1", subject="k") for _ in range(2)
    )
    await transport.publish([_dead(topic, first, 3), _dead(topic, second, 4)])

    listing = await _yunying(transport_kind, transport, tmp_path, "list")  # every .dlq topic
    ours = [
        line.split("\t")
        for line in listing.splitlines()
        if line.startswith(dlq_topic(topic) + "\t")
    ]
    assert sorted(line[3] for line in ours) == sorted([str(first.id), str(second.id)])
    assert all(line[2] == "waiting" and line[5] == "RuntimeError: boom" for line in ours)

    only_one = await _yunying(
        transport_kind,
        transport,
        tmp_path,
        "replay",
        "--topic",
        topic,
        "--event-id",
        str(second.id),
    )
    assert "1 dead letter(s) replayed" in only_one
    rest = await _yunying(transport_kind, transport, tmp_path, "replay", "--topic", topic)
    assert "1 dead letter(s) replayed" in rest
    again = await _yunying(
        transport_kind, transport, tmp_path, "replay", "--topic", dlq_topic(topic)
    )
    assert "0 dead letter(s) replayed" in again

    replayed = await transport.read_all(topic)
    assert sorted(m.value for m in replayed) == sorted([first.to_bytes(), second.to_bytes()])
    assert all(m.header("dlq.error") is None and m.header("ce_type") == "t" for m in replayed)
    assert all(m.header("dlq.replayed_from").startswith(dlq_topic(topic)) for m in replayed)
    listing = await _yunying(transport_kind, transport, tmp_path, "list", "--topic", topic)
    assert [line.split("\t")[2] for line in listing.splitlines()] == ["replayed"] * 2
