"""The committed OpenAPI document is the API's contract: the app must serve exactly that document.

A change to a route, a parameter or a response model fails here until the document is exported
again, so every contract change shows up in review as a diff of `openapi/v1/openapi.json`.
"""

import difflib
import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.api.app import create_app, openapi_json

CONTRACTS = Path(__file__).resolve().parents[2] / "api_contracts"
CONTRACT = CONTRACTS / "openapi" / "v1" / "openapi.json"
EXPORT = "python -m {{ cookiecutter.package_name }} openapi --out api_contracts/openapi/v1/openapi.json"
PROBES = {"/health", "/ready"}


def committed() -> dict:
    return json.loads(CONTRACT.read_text(encoding="utf-8"))


def test_the_app_serves_exactly_the_committed_contract():
    expected = CONTRACT.read_text(encoding="utf-8")
    actual = openapi_json(create_app())
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile="api_contracts/openapi/v1/openapi.json (committed)",
            tofile="the app's schema now",
        )
        pytest.fail(
            "The API no longer matches its committed contract:\n\n"
            + "".join(diff)
            + "\nIf the change is deliberate, export the contract again, note it in "
            + f"api_contracts/CHANGELOG.md and commit both:\n\n    {EXPORT}\n",
            pytrace=False,
        )


def test_every_path_except_the_probes_is_under_v1():
    assert {path for path in committed()["paths"] if not path.startswith("/v1/")} == PROBES


def test_every_error_answer_in_the_contract_has_the_one_error_body():
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in committed()["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == error_body, f"{method.upper()} {path} {status}"
