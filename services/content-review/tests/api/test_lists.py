"""Content lists answer the cursor envelope: items newest first with state and platform
filters (enums in the document), the audit trail filtered by action, cadence in pages."""


async def _walk(client, path, headers, **params):
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


async def test_items_page_newest_first_and_filter(service):
    created = [await service.create(title=f"第{n}期") for n in range(5)]
    await service.step(created[1]["id"], "submit", service.author)
    listed = await _walk(service.client, "/v1/content/items", service.reviewer, limit=2)
    assert [i["id"] for i in listed] == [i["id"] for i in reversed(created)]
    submitted = await _walk(
        service.client, "/v1/content/items", service.reviewer, state=listed[3]["state"]
    )
    assert len(submitted) == 5 - sum(1 for i in listed if i["state"] != listed[3]["state"])
    wrong = await service.client.get(
        "/v1/content/items", params={"state": "lost"}, headers=service.reviewer
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "query.state"
    document = service.app.openapi()
    parameters = {p["name"]: p for p in document["paths"]["/v1/content/items"]["get"]["parameters"]}
    assert "enum" in str(parameters["state"]["schema"]) or "$ref" in str(parameters["state"])


async def test_audit_filters_by_action_and_cadence_pages(service):
    item = await service.create()
    await service.step(item["id"], "submit", service.author)
    trail = await _walk(
        service.client, f"/v1/content/items/{item['id']}/audit", service.reviewer, limit=1
    )
    actions = [entry["action"] for entry in trail]
    assert "submitted" in actions and len(actions) >= 2
    only = await _walk(
        service.client,
        f"/v1/content/items/{item['id']}/audit",
        service.reviewer,
        action="submitted",
    )
    assert [entry["action"] for entry in only] == ["submitted"]
    cadence = await _walk(service.client, "/v1/content/cadence", service.reviewer, limit=1)
    platforms = [rule["platform"] for rule in cadence]
    assert platforms == sorted(platforms) and len(platforms) >= 2
