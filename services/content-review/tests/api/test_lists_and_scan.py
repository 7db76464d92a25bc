"""Workspace lists (a batch judged item by item) and POST /v1/scan with them applied."""


async def _scan(service, text, **fields):
    response = await service.client.post(
        "/v1/scan", headers=service.author, json={"text": text, **fields}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_batch_of_list_entries_is_judged_entry_by_entry(service):
    response = await service.client.post(
        "/v1/content/lists/entries",
        headers=service.operator,
        json=[
            {"list": "allow", "term": "极致生活"},
            {"list": "deny", "term": "竞品甲", "severity": "block", "suggestion": "删去竞品名"},
            {"list": "deny", "term": ""},
            {"list": "grey", "term": "x"},
            {"list": "allow", "term": "极致生活"},
            {"list": "allow", "term": "品牌", "severity": "block"},
            "not an object",
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["term"] for e in body["created"]] == ["极致生活", "竞品甲"]
    rejected = {r["index"]: r["errors"] for r in body["rejected"]}
    assert set(rejected) == {2, 3, 4, 5, 6}
    assert rejected[2][0]["field"] == "term"
    assert rejected[3][0]["field"] == "list"
    assert "already" in rejected[4][0]["message"]
    assert rejected[5][0]["field"] == "severity"
    lists = await service.client.get("/v1/content/lists", headers=service.reviewer)
    assert [e["term"] for e in lists.json()["allow"]] == ["极致生活"]
    assert lists.json()["deny"][0]["severity"] == "block"
    not_a_list = await service.client.post(
        "/v1/content/lists/entries", headers=service.operator, json={"list": "allow"}
    )
    assert not_a_list.status_code == 422


async def test_every_scan_applies_the_workspace_lists(service):
    before = await _scan(service, "极致生活馆开业，竞品甲也来了")
    assert [f["term"] for f in before["findings"]] == ["极致"]
    await service.client.post(
        "/v1/content/lists/entries",
        headers=service.operator,
        json=[
            {"list": "allow", "term": "极致生活"},
            {"list": "deny", "term": "竞品甲", "severity": "block"},
        ],
    )
    after = await _scan(service, "极致生活馆开业，竞 品 甲也来了")
    (finding,) = after["findings"]
    assert (finding["term"], finding["category"], finding["text"]) == (
        "竞品甲",
        "workspace_deny",
        "竞 品 甲",
    )
    assert after["blocking"] is True
    # The lists reach the item scan as well.
    item = await service.create(body="极致生活馆开业，竞品甲也来了")
    submitted = await service.step(item["id"], "submit", service.author)
    assert submitted.json()["state"] == "draft"
    assert [f["rule_id"] for f in submitted.json()["current"]["findings"]] == ["workspace:竞品甲"]
    entry_id = (await service.client.get("/v1/content/lists", headers=service.reviewer)).json()[
        "deny"
    ][0]["id"]
    removed = await service.client.delete(
        f"/v1/content/lists/entries/{entry_id}", headers=service.operator
    )
    assert removed.status_code == 204
    assert (await _scan(service, "竞品甲"))["findings"] == []
    again = await service.client.delete(
        f"/v1/content/lists/entries/{entry_id}", headers=service.operator
    )
    assert again.status_code == 404


async def test_scan_finds_disguised_terms_and_applies_platform_rules(service):
    result = await _scan(service, "本品治.百.病，加 V X 了解", platform="xiaohongshu")
    terms = {f["term"]: f for f in result["findings"]}
    assert terms["治百病"]["text"] == "治.百.病"
    assert terms["治百病"]["legal_basis"]
    assert any("vx" in term.lower() for term in terms)
    elsewhere = await _scan(service, "加 V X 了解", platform="weibo")
    assert elsewhere["findings"] == []
    assert (await _scan(service, "今天天气不错"))["blocking"] is False
    too_long = await service.client.post(
        "/v1/scan", headers=service.author, json={"text": "字" * 20_001}
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"].endswith("text")
