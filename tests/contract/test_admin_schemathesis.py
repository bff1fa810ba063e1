"""schemathesis against the admin API's own document (``/__mockrouter/openapi.json``), every check on: no schema
errors in the document, no 5xx, every status and body as declared, malformed writes refused."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mockrouter import Mock, Settings, create_app

app = create_app(mock=Mock(Settings(time_scale=0, seed=0)))
schema = schemathesis.openapi.from_asgi("/__mockrouter/openapi.json", app)

#: A stub must name a model the world has (a cross-field rule no JSON Schema can state): schema-valid stubs naming
#: an unknown model are rightly refused with a 400 that points at /match/model.
WORLD_DEPENDENT = {"addStubs"}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_admin_api_conforms(case):
    excluded = [positive_data_acceptance] if case.operation.definition.raw["operationId"] in WORLD_DEPENDENT else []
    case.call_and_validate(excluded_checks=excluded)
