"""Reads one Schemathesis run's reports (NDJSON events and the JSON run report) and tells what it
did: requests sent, operations reached, answers to POST /api/v1/checkout, and every failure,
grouped by operation, check, status code and message, with one request to reproduce it.

Usage: summarize.py ROLE REPORT_DIR OPENAPI_JSON OUT_JSON
Prints a few lines for people, and writes OUT_JSON (requests, operations, failures, …) for the
run script's closing line. Standard library only."""

import glob
import json
import re
import sys
from collections import Counter, defaultdict

METHODS = ("get", "put", "post", "delete", "patch")
CHECKOUT = ("POST", "/api/v1/checkout")


def documented_operations(doc_path):
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    return {(m.upper(), path) for path, item in doc.get("paths", {}).items() for m in METHODS if m in item}


def one_file(report_dir, prefix):
    found = sorted(glob.glob(f"{report_dir}/{prefix}-*")) + sorted(glob.glob(f"{report_dir}/{prefix}.*"))
    return found[-1] if found else None


def gist(message):
    """The lines of a failure message that say what was wrong, without the dumped values."""
    lines = [l.strip() for l in (message or "").splitlines() if l.strip()]
    if not lines:
        return ""
    # The dumped value differs from response to response: say what kind of value it was.
    first = re.sub(r"^(\{.*|\[.*|\".*|'.*|-?\d.*|null|true|false) (is not|is too|does not|should not|is a|is valid)",
                   lambda m: f"<{kind(m.group(1))}> {m.group(2)}" if len(m.group(1)) > 30 else m.group(0), lines[0])
    keep = [first]
    for l in lines[1:]:
        if l.startswith(("Schema at", "Validated against", "Received:", "Documented:", "Expected")):
            keep.append(l.rstrip(":"))
    text = "; ".join(keep)
    return text if len(text) <= 300 else text[:297] + "…"


def kind(value):
    return {"{": "object", "[": "array", '"': "string", "'": "string", "n": "null", "t": "boolean", "f": "boolean"}.get(
        value[:1], "number")


def short(body, limit=200):
    if body is None:
        return ""
    if isinstance(body, dict) and "$base64" in body:
        import base64

        try:
            body = base64.b64decode(body["$base64"]).decode("utf-8", "replace")
        except ValueError:
            return "<binary>"
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)
    body = re.sub(r"\s+", " ", body)
    return body if len(body) <= limit else body[: limit - 1] + "…"


def main():
    role, report_dir, doc_path, out_path = sys.argv[1:5]
    documented = documented_operations(doc_path)
    requests = 0
    by_phase = Counter()
    reached, answered_2xx = set(), set()
    statuses = Counter()
    checkout = Counter()
    groups = defaultdict(lambda: {"cases": set(), "example": None})
    errors = Counter()
    links = Counter()

    events = one_file(report_dir, "ndjson")
    if events:
        with open(events, encoding="utf-8") as f:
            for line in f:
                event = json.loads(line)
                if "NonFatalError" in event or "FatalError" in event:
                    value = (event.get("NonFatalError") or event.get("FatalError") or {}).get("value", {})
                    first = (value.get("message") or value.get("title") or str(value)).splitlines()[0]
                    errors[f"{value.get('type', 'Error')}: {first[:200]}"] += 1
                    continue
                finished = event.get("ScenarioFinished")
                if not finished:
                    continue
                recorder = finished.get("recorder") or {}
                cases = recorder.get("cases", {})
                interactions = recorder.get("interactions", {})
                requests += len(interactions)
                by_phase[finished.get("phase")] += len(interactions)
                for case in cases.values():
                    transition = case.get("transition") or {}
                    if transition.get("id"):
                        links[transition["id"]] += 1
                for case_id, interaction in interactions.items():
                    case = (cases.get(case_id) or {}).get("value", {})
                    op = (case.get("method", "").upper(), case.get("path", ""))
                    status = (interaction.get("response") or {}).get("status_code")
                    if op in documented:
                        reached.add(op)
                        if status is not None and 200 <= status < 300:
                            answered_2xx.add(op)
                    if op == CHECKOUT and status is not None:
                        checkout[status] += 1
                    if status is not None:
                        statuses[status // 100] += 1
                for case_id, checks in recorder.get("checks", {}).items():
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        failure = (check.get("failure_info") or {}).get("failure") or {}
                        interaction = interactions.get(case_id) or {}
                        request = interaction.get("request") or {}
                        response = interaction.get("response") or {}
                        case = (cases.get(case_id) or {}).get("value", {})
                        operation = failure.get("operation") or f"{case.get('method', '?')} {case.get('path', '?')}"
                        key = (
                            operation,
                            check.get("name"),
                            response.get("status_code"),
                            f"{failure.get('code', '')} {failure.get('title', '')}".strip(),
                            gist(failure.get("message")),
                        )
                        group = groups[key]
                        group["cases"].add(case_id)
                        if group["example"] is None:
                            group["example"] = {
                                "phase": finished.get("phase"),
                                "request": f"{request.get('method', '?')} {request.get('uri', '?')}",
                                "body": short(request.get("body")),
                                "response": short((response.get("content") or response.get("body"))),
                            }

    summary = {}
    report = one_file(report_dir, "json")
    if report:
        with open(report, encoding="utf-8") as f:
            summary = json.load(f)
    operations = summary.get("operations", {})
    warnings = {k: v for k, v in (summary.get("warnings") or {}).items() if v}
    unique_failures = (summary.get("test_cases") or {}).get("unique_failures", len(groups))
    error_count = sum(e.get("count", 1) for e in summary.get("errors", [])) if summary else sum(errors.values())

    result = {
        "role": role,
        "requests": requests,
        "by_phase": dict(by_phase),
        "operations_selected": operations.get("selected", len(documented)),
        "operations_reached": sorted(f"{m} {p}" for m, p in reached),
        "operations_2xx": sorted(f"{m} {p}" for m, p in answered_2xx),
        "checkout_answers": {str(k): v for k, v in sorted(checkout.items())},
        "links_followed": dict(links.most_common()),
        "failures": unique_failures,
        "errors": error_count,
        # What each error said (the first line), to tell the tool's own faults from the app's.
        "error_texts": sorted(errors),
        "failure_groups": len(groups),
        "stop_reason": summary.get("stop_reason"),
        "exit_code": summary.get("exit_code"),
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)

    phases = ", ".join(f"{p} {n}" for p, n in by_phase.items() if n)
    print(
        f"  {requests} requests ({phases}); answers 2xx {statuses[2]}, 4xx {statuses[4]}, 5xx {statuses[5]}; "
        f"{len(reached)}/{len(documented)} operations reached, {len(answered_2xx)} answered 2xx; "
        f"checkout answered {dict(sorted(checkout.items())) or 'nothing'}"
    )
    # The order's later life, as the issue asks: which of these answered 2xx at least once.
    later = {
        "ship": "POST /api/v1/portal/shipments/{id}/ship",
        "deliver": "POST /api/v1/shipments/{id}/delivered",
        "confirm payment": "POST /api/v1/portal/orders/{number}/confirm-payment",
        "return": "POST /api/v1/orders/{number}/lines/{line}/return",
        "refund line": "POST /api/v1/portal/lines/{id}/refund",
        "refund shipping": "POST /api/v1/portal/shipments/{id}/refund-shipping",
        "payout run": "POST /api/v1/portal/payouts/run",
        "payout mark": "POST /api/v1/portal/payouts/{id}/mark",
    }
    done = {f"{m} {p}" for m, p in answered_2xx}
    print("  order life answered 2xx: " + ", ".join(f"{k} {'yes' if v in done else 'no'}" for k, v in later.items()))
    from_checkout = sorted({t.split(" -> ")[-1] for t in links if t.startswith("POST /api/v1/checkout ")})
    print(
        f"  stateful: {len(links)} distinct links followed ({sum(links.values())} times)"
        + (f"; from checkout to {', '.join(from_checkout)}" if from_checkout else "; none from POST /api/v1/checkout")
    )
    print(f"  {unique_failures} failures in {len(groups)} groups, {error_count} errors (stop: {summary.get('stop_reason')})")
    for (operation, check, status, code, text), group in sorted(groups.items(), key=lambda kv: kv[0][:3]):
        ex = group["example"]
        print(f"  FAIL {operation} -> {status} [{check} {code}] x{len(group['cases'])}: {text}")
        print(f"       e.g. ({ex['phase']}) {ex['request']}" + (f" body {ex['body']}" if ex["body"] else ""))
        if ex["response"]:
            print(f"       answered: {ex['response']}")
    for text, n in errors.items():
        print(f"  ERROR x{n}: {text}")
    for name, ops in sorted(warnings.items()):
        listed = ", ".join(ops[:6]) + (f", … ({len(ops)} in all)" if len(ops) > 6 else "")
        print(f"  warning {name}: {listed}")


if __name__ == "__main__":
    main()
