"""Schemathesis hooks (loaded by tests/api/run through SCHEMATHESIS_HOOKS): realistic values for
what no schema can say, so that some generated checkouts place real orders and the stateful
phase can follow the order's links (get, cancel, pay, confirm payment, ship, deliver, return).

Only POST /api/v1/checkout is touched, and only three generated bodies in four (chosen by a
digest of the body, so a seed still reproduces a run); the fourth is sent as generated. In a
touched body, a field keeps its generated value unless it is a string (or absent) that the
server's rules would refuse for reasons a schema cannot express: the county must be a real
county, the phone a mainland number, the products must exist (ids from API_STOCKED_PRODUCTS)
and be named (the cart is seldom filled), free text must hold more than blanks. A field
generated with the wrong type (a negative case) is left alone."""

import hashlib
import json
import os
import re

import schemathesis

CHECKOUT = "POST /api/v1/checkout"
KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")
# Real counties of the reference data: 喜德县 (凉山州), 台江县 (黔东南州), 尼木县 (拉萨市).
COUNTIES = ["513432", "522630", "540123"]
STOCKED = [int(p) for p in os.environ.get("API_STOCKED_PRODUCTS", "").split(",") if p.strip().isdigit()] or list(
    range(1, 113)
)


def _digest(body):
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=True)
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


def _free(body, key):
    """Absent, or a string: a value this hook may replace."""
    return key not in body or isinstance(body[key], str)


def _text_ok(value, least, most):
    return isinstance(value, str) and least <= len(value.strip()) <= most and "\x00" not in value


@schemathesis.hook
def map_body(ctx, body):
    operation = getattr(ctx, "operation", None)
    if operation is None or getattr(operation, "label", "") != CHECKOUT or not isinstance(body, dict):
        return body
    d = _digest(body)
    if d % 4 == 0:
        return body
    body = dict(body)
    if _free(body, "country"):
        body["country"] = "CN"
    if _free(body, "county_code"):
        body["county_code"] = COUNTIES[d % len(COUNTIES)]
    if _free(body, "phone"):
        body["phone"] = f"138{d % 10**8:08d}"
    if isinstance(body.get("postal_code"), str):
        code = body["postal_code"]
        if not (code == "" or (len(code) == 6 and code.isascii() and code.isdigit())):
            body["postal_code"] = ""
    if _free(body, "recipient") and not _text_ok(body.get("recipient"), 1, 50):
        body["recipient"] = "测试买家"
    if _free(body, "line") and not _text_ok(body.get("line"), 2, 200):
        body["line"] = "光明镇人民路 1 号"
    if isinstance(body.get("region"), str) and len(body["region"]) > 100:
        body["region"] = ""
    if _free(body, "idempotency_key") and not KEY.fullmatch(body.get("idempotency_key") or ""):
        body["idempotency_key"] = f"st-{d % 10**16:016d}"
    items = body.get("items")
    if items is None or items == []:
        # Else the order is the cart's, which the generated calls seldom fill.
        body["items"] = [{"product_id": STOCKED[d % len(STOCKED)], "quantity": 1}]
    elif isinstance(items, list) and all(isinstance(i, dict) for i in items):
        fixed = []
        for n, item in enumerate(items[:3]):
            item = dict(item)
            if isinstance(item.get("product_id"), int) and not isinstance(item.get("product_id"), bool):
                item["product_id"] = STOCKED[(abs(item["product_id"]) + n) % len(STOCKED)]
            if isinstance(item.get("quantity"), int) and not isinstance(item.get("quantity"), bool):
                item["quantity"] = 1 + abs(item["quantity"]) % 2
            fixed.append(item)
        body["items"] = fixed
    return body
