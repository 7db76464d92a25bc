"""What a batch endpoint answers for each item it rejects: the fields at fault, typed, so a
generated client reads `error.field` rather than digging in an untyped map."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One invalid field of one batch item (the item's own field path, e.g. `amount`)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"field": "amount", "message": "must be a number"}]}
    )

    field: str = Field(description="The item's field at fault; dotted for nested fields")
    message: str = Field(description="What is wrong with it")
