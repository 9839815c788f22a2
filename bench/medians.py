"""Medians over rounds of the rows bench/parse_wrk.py prints (name, round, req/s, p50 ms, p99 ms,
non-2xx), for the scripts that report them (bench/checkout.sh, bench/fleet.sh)."""
import statistics


def medians(path):
    """{name: {"rps", "p50", "p99": the median over rounds, "other": the sum of the last column}}."""
    by = {}
    for line in open(path).read().splitlines():
        name, _round, rps, p50, p99, other = line.split("\t")
        r = by.setdefault(name, {"rps": [], "p50": [], "p99": [], "other": 0})
        r["rps"].append(float(rps))
        r["p50"].append(float(p50))
        r["p99"].append(float(p99))
        r["other"] += int(float(other))
    return {n: {k: statistics.median(v) if isinstance(v, list) else v for k, v in r.items()} for n, r in by.items()}
