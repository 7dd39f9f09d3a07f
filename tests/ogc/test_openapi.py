"""schemathesis against the OGC API's own definition: no server errors, declared statuses and types."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("direct_wsgi")]


def test_every_operation_conforms_to_the_published_definition():
    # The definition names the levels, so it is loaded here (with the database), not at import.
    from quartier.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/ogc/api", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {f"/collections/{lv}/items" for lv in ("stadtteil", "baublock")} <= paths
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            case.call_and_validate(checks=CHECKS)

        conforms()
