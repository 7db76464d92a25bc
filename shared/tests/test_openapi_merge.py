import pytest

from yunying_shared.http.openapi import merge


def _doc(path: str, op: str, schema: dict) -> dict:
    ref = {"$ref": "#/components/schemas/Result"}
    return {
        "paths": {
            path: {
                "get": {
                    "operationId": op,
                    "tags": ["t"],
                    "responses": {"200": {"content": {"application/json": {"schema": ref}}}},
                }
            }
        },
        "components": {"schemas": {"Result": schema, "Same": {"type": "string"}}},
    }


def test_clashing_schema_names_are_qualified_in_every_service_and_refs_follow():
    gateway = {"paths": {}, "components": {"schemas": {"Same": {"type": "string"}}}}
    merged = merge(
        gateway,
        {
            "content-review": _doc("/v1/content", "list", {"type": "object"}),
            "segmentation": _doc("/v1/segments", "list", {"type": "array"}),
        },
        group="gateway",
    )
    schemas = merged["components"]["schemas"]
    assert "Result" not in schemas and schemas["Same"] == {"type": "string"}
    assert schemas["ContentReviewResult"] == {"type": "object"}
    assert schemas["SegmentationResult"] == {"type": "array"}
    get = merged["paths"]["/v1/segments"]["get"]
    assert get["operationId"] == "segmentation_list"
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/SegmentationResult"
    assert [g["name"] for g in merged["x-tagGroups"]] == [
        "gateway",
        "content-review",
        "segmentation",
    ]


def test_a_path_documented_twice_is_refused():
    same = _doc("/v1/x", "a", {"type": "object"})
    with pytest.raises(ValueError, match="/v1/x"):
        merge({"paths": {"/v1/x": {}}}, {"svc": same}, group="gateway")
