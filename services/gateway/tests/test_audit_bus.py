"""The audit log reaches the bus: entries written through the outbox are relayed to
`gateway.audit.v1`, keyed by entry id, on the local transport and on Kafka."""

import uuid

from gateway.main import create_app
from yunying_shared.events.catalogue import AUDIT_RECORDED, parse_event
from yunying_shared.events.payloads.gateway import AuditRecorded
from yunying_shared.testing.apps import running
from yunying_shared.testing.bus import collect


async def test_login_attempts_are_published_on_the_audit_topic(mode, gateway_settings):
    database_url, transport = mode
    settings = gateway_settings(database_url)
    subscription = transport.subscribe(f"test-{uuid.uuid4().hex}", [AUDIT_RECORDED.topic])
    await subscription.start()
    stranger = f"nobody-{uuid.uuid4().hex[:8]}@brand.example"
    try:
        async with running(create_app(settings, transport=transport)) as client:
            failed = await client.post(
                "/v1/auth/login", json={"email": stranger, "password": "a-wrong-guess-1"}
            )
            assert failed.status_code == 401
            ok = await client.post(
                "/v1/auth/login",
                json={"email": settings.admin_email, "password": "admin-passw0rd"},
            )
            assert ok.status_code == 200, ok.text
            found: dict[str, AuditRecorded] = {}

            def ours(email: str, outcome: str) -> list[AuditRecorded]:
                return [
                    p for p in found.values() if p.actor_email == email and p.outcome == outcome
                ]

            # The topic may hold earlier runs' entries (a shared broker): read until ours came.
            for _ in range(20):
                for message in await collect(subscription, 50, timeout=3):
                    envelope, payload = parse_event(message.value, message.headers)
                    assert envelope.type == AUDIT_RECORDED.type
                    assert isinstance(payload, AuditRecorded)
                    assert message.key == str(payload.entry_id).encode()
                    found[str(payload.entry_id)] = payload
                if ours(stranger, "failure") and ours(settings.admin_email, "success"):
                    break
            failures = [p for p in found.values() if p.actor_email == stranger]
            assert [(p.action, p.outcome, p.actor_id, p.detail) for p in failures] == [
                ("auth.login", "failure", None, {"reason": "invalid_credentials"})
            ]
            assert ours(settings.admin_email, "success")
    finally:
        await subscription.stop()
