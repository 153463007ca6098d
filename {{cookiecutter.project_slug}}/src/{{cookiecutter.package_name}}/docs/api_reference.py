"""The HTTP API reference, as Markdown, rendered from the committed OpenAPI contract
(`api_contracts/openapi/v1/openapi.json`): every path and method, its parameters, body and
responses, and every schema they name."""

import json
from pathlib import Path

from .markdown import cell, code

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ATTRIBUTE_OPEN = "{" + "#"  # opens an attr_list id after a heading; written apart, the template engine reads the pair


def _anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def schema_type(schema: dict) -> str:
    """A short description of a JSON schema: `integer`, `string or null`, [Name](#schema-name), `array of ...`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{_anchor(name)})"
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            return " or ".join(schema_type(part) for part in schema[combiner])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {schema_type(schema.get('items', {}))}"
    if "format" in schema:
        return f"`{kind}` ({schema['format']})"
    if "enum" in schema:
        return " or ".join(code(json.dumps(value)) for value in schema["enum"])
    return code(kind)


def _limits(schema: dict) -> str:
    words = {
        "minimum": "at least",
        "maximum": "at most",
        "minLength": "length at least",
        "maxLength": "length at most",
        "default": "default",
    }
    found = [f"{label} {code(json.dumps(schema[key]))}" for key, label in words.items() if key in schema]
    for part in schema.get("anyOf", []):
        found += [f"{label} {code(json.dumps(part[key]))}" for key, label in words.items() if key in part]
    return "; ".join(found)


def _operation(path: str, method: str, operation: dict) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if operation.get("description") or operation.get("summary"):
        lines += [" ".join((operation.get("description") or operation["summary"]).split()), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | meaning |", "| --- | --- | --- | --- | --- |"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            meaning = "; ".join(filter(None, [cell(parameter.get("description", "")), _limits(schema)]))
            lines.append(
                f"| {code(parameter['name'])} | {parameter['in']} | {schema_type(schema)} | "
                f"{'yes' if parameter.get('required') else ''} | {meaning} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines += [
                f"Request body ({'required' if body.get('required') else 'optional'}): `{media}`, "
                f"{schema_type(content.get('schema', {}))}.",
                "",
            ]
    lines += ["| status | meaning | body |", "| --- | --- | --- |"]
    for status, response in sorted(operation.get("responses", {}).items()):
        schemas = [schema_type(c.get("schema", {})) for c in response.get("content", {}).values()]
        lines.append(f"| {status} | {cell(response.get('description', ''))} | {', '.join(schemas)} |")
    return [*lines, ""]


def _schema(name: str, schema: dict) -> list[str]:
    lines = [f"### {name} " + ATTRIBUTE_OPEN + _anchor(name) + "}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        lines += ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
        for field, spec in properties.items():
            meaning = "; ".join(filter(None, [cell(spec.get("description", "")), _limits(spec)]))
            lines.append(f"| {code(field)} | {schema_type(spec)} | {'yes' if field in required else ''} | {meaning} |")
    else:
        lines.append(f"Type: {schema_type(schema)}.")
    return [*lines, ""]


def api_reference(contract: Path) -> str:
    spec = json.loads(Path(contract).read_text())
    info = spec.get("info", {})
    lines = [
        "# HTTP API reference",
        "",
        f"{cell(info.get('title', 'The API'))}, version {code(info.get('version', '?'))} "
        f"(OpenAPI {spec.get('openapi', '?')}). Rendered from the committed contract",
        f"`{Path(contract).as_posix()}` when this site was built; the contract, its changelog and",
        "runnable client examples are in [api_contracts/](../api_contracts/README.md).",
        "",
        "## Endpoints",
        "",
    ]
    for path, operations in spec.get("paths", {}).items():
        for method in METHODS:
            if method in operations:
                lines += _operation(path, method, operations[method])
    lines += ["## Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"
