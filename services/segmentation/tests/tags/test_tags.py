from datetime import timedelta

from segmentation.events.service import ingest
from segmentation.tags.schemas import TagIn, TagRuleIn
from segmentation.tags.service import create_rule, import_tags, list_tags, parse_csv, set_tag


async def test_expired_tags_are_hidden_and_can_be_renewed(session, workspace_id, now):
    await set_tag(
        session,
        workspace_id=workspace_id,
        user_id="u1",
        tag=TagIn(tag="敏感肌", kind="need", expires_at=now + timedelta(days=1)),
    )
    await set_tag(session, workspace_id=workspace_id, user_id="u1", tag=TagIn(tag="职场妈妈"))

    today = await list_tags(session, workspace_id=workspace_id, user_id="u1", now=now)
    later = await list_tags(
        session, workspace_id=workspace_id, user_id="u1", now=now + timedelta(days=2)
    )
    assert [t.tag for t in today] == ["敏感肌", "职场妈妈"]
    assert [t.tag for t in later] == ["职场妈妈"]

    await set_tag(
        session,
        workspace_id=workspace_id,
        user_id="u1",
        tag=TagIn(tag="敏感肌", kind="need", expires_at=now + timedelta(days=10)),
    )
    renewed = await list_tags(
        session, workspace_id=workspace_id, user_id="u1", now=now + timedelta(days=2)
    )
    assert [t.tag for t in renewed] == ["敏感肌", "职场妈妈"]


async def test_rules_tag_users_from_matching_events(session, workspace_id, now, crm_event):
    await create_rule(
        session,
        workspace_id=workspace_id,
        rule=TagRuleIn(
            name="skincare browsers",
            event_type="product_view",
            match_properties={"category": "skincare"},
            tag="护肤兴趣",
            ttl_days=30,
        ),
    )
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("u1", "product_view", properties={"category": "skincare"}, days_ago=1),
            crm_event("u2", "product_view", properties={"category": "shoes"}, days_ago=1),
        ],
    )

    tagged = await list_tags(session, workspace_id=workspace_id, user_id="u1", now=now)
    assert [(t.tag, t.source, t.kind) for t in tagged] == [("护肤兴趣", "rule", "behaviour")]
    assert await list_tags(session, workspace_id=workspace_id, user_id="u2", now=now) == []
    expired = await list_tags(
        session, workspace_id=workspace_id, user_id="u1", now=now + timedelta(days=30)
    )
    assert expired == []


async def test_bulk_import_from_csv_reports_bad_rows(session, workspace_id, now):
    rows = parse_csv(
        "user_id,tag,kind,confidence\nu1,敏感肌,need,0.8\nu2,,need,\nu3,学生党,attribute,7\n"
    )
    result = await import_tags(session, workspace_id=workspace_id, rows=rows)

    assert result.imported == 1
    assert [r.index for r in result.rejected] == [1, 2]
    assert {e.field for e in result.rejected[1].errors} == {"confidence"}
    tags = await list_tags(session, workspace_id=workspace_id, user_id="u1", now=now)
    assert [(t.tag, t.source, t.confidence) for t in tags] == [("敏感肌", "import", 0.8)]
