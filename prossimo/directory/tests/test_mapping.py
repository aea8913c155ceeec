"""The models map the HSDS 3.0 tables one to one: every table, every field, its type."""

from __future__ import annotations

import pytest
from django.db import models

from prossimo.directory.hsds import tables

FIELD_TYPES = {
    "string": (models.TextField, models.CharField),
    "uuid": (models.UUIDField, models.ForeignKey),
    "number": (models.FloatField,),
    "date": (models.DateField,),
    "time": (models.TimeField,),
    "datetime": (models.DateTimeField,),
}


def test_every_table_of_the_standard_has_its_model():
    assert sorted(tables()) == sorted(
        ["organization", "program", "service", "attribute", "service_at_location", "location",
         "phone", "contact", "address", "schedule", "funding", "service_area",
         "required_document", "language", "accessibility", "taxonomy_term", "metadata",
         "meta_table_description", "cost_option", "organization_identifier", "taxonomy"]
    )  # fmt: skip


@pytest.mark.parametrize("table", sorted(tables()))
def test_every_field_of_a_table_is_a_field_of_its_model_with_its_type(table):
    spec = tables()[table]
    model_fields = {f.attname: f for f in spec.model._meta.concrete_fields}
    hsds_fields = set()
    for column in spec.columns:
        field = model_fields[column.attname]
        hsds_fields.add(column.attname)
        assert isinstance(field, FIELD_TYPES[column.kind]), column.name
        if column.name == "id":
            assert field.primary_key
        elif column.is_link and column.target is not None:
            assert field.related_model is tables()[column.target].model, column.name
            # A link the tabular form requires is a real foreign key; an optional one is kept
            # even when it names a record we don't hold.
            assert field.db_constraint is column.tabular_required, column.name
            assert field.null is not column.tabular_required, column.name
        else:
            # Required by the standard: required in the admin's forms too.
            required = column.required or column.tabular_required
            assert field.blank is not required, column.name
    assert set(model_fields) - hsds_fields == {"created_at", "updated_at"}


def test_the_nesting_of_the_json_form_follows_the_links():
    service = {n.key: (n.table, n.owner, n.column) for n in tables()["service"].nests}

    assert service["phones"] == ("phone", "phone", "service_id")
    assert service["organization"] == ("organization", "service", "organization_id")
    assert service["attributes"] == ("attribute", "attribute", "link_id")
    assert {n.key for n in tables()["organization"].nests} >= {"services", "locations"}
