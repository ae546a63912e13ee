"""Resources their owner changes by version (offers, members): the fields every such schema shows, the
consistency check that also runs after a partial update is merged, and the PATCH form of the schema."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema


def version_field() -> fields.Integer:
    return fields.Integer(required=True, validate=validate.Range(min=1, max=2**31),
                          metadata={"description": "the version you changed; a stale one is refused"})


class VersionedSchema(Schema):
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @staticmethod
    def consistency_errors(data: dict) -> dict:
        """What is wrong between the fields ({field: [messages]}); subclasses say."""
        return {}

    @validates_schema
    def consistent(self, data, **_kwargs):
        if errors := self.consistency_errors(data):
            raise ValidationError(errors)


def update_schema(schema: type[VersionedSchema]) -> VersionedSchema:
    """Only the fields sent are changed (lists are replaced whole); the version is always required."""
    name = schema.__name__.removesuffix("Schema") + "UpdateSchema"
    patch = type(name, (schema,), {"version": version_field()})
    return patch(partial=tuple(schema().load_fields))
