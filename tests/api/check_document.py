"""Checks the served OpenAPI document: valid OpenAPI 3.1, and complete in the ways a generated
client needs. Usage: check_document.py URL-or-FILE. Prints every problem; exits 1 if any."""

import json
import sys
import urllib.request

from openapi_spec_validator import OpenAPIV31SpecValidator

METHODS = ("get", "put", "post", "delete", "patch")


def load(location):
    if location.startswith("http"):
        with urllib.request.urlopen(location) as res:
            return json.load(res)
    with open(location, encoding="utf-8") as f:
        return json.load(f)


def problems(doc):
    for error in OpenAPIV31SpecValidator(doc).iter_errors():
        yield f"invalid: {'/'.join(str(p) for p in error.absolute_path)}: {error.message.splitlines()[0][:200]}"
    seen = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            name = f"{method.upper()} {path}"
            op_id = op.get("operationId")
            if not op_id:
                yield f"{name}: no operationId"
            elif op_id in seen:
                yield f"{name}: operationId {op_id!r} is also {seen[op_id]}"
            else:
                seen[op_id] = name
            if not op.get("summary"):
                yield f"{name}: no summary"
            for status, res in op.get("responses", {}).items():
                if not res.get("description"):
                    yield f"{name} {status}: no description"
                ok = status.startswith("2") and status != "204"
                content = res.get("content", {})
                if ok and not any("schema" in media for media in content.values()):
                    yield f"{name} {status}: a success without a body schema"
                if not status.startswith("2") and not content:
                    yield f"{name} {status}: an error without a body"
            for param in op.get("parameters", []):
                if param.get("in") == "path" and "{" + param["name"] + "}" not in path:
                    yield f"{name}: path parameter {param['name']} is not in the path"


def main():
    doc = load(sys.argv[1])
    found = list(problems(doc))
    for p in found:
        print(p)
    ops = sum(1 for item in doc["paths"].values() for m in METHODS if m in item)
    print(f"openapi {doc.get('openapi')}: {ops} operations, {len(found)} problems")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
