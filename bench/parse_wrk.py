"""Reads one `wrk --latency` report and prints: name, round, req/s, p50 ms, p99 ms, non-2xx."""
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        raise SystemExit(f"unreadable latency {value!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


name, round_, path = sys.argv[1], sys.argv[2], sys.argv[3]
out = open(path).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
if not (rps and p50 and p99):
    raise SystemExit(f"unreadable wrk report for {name}:\n{out}")
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{name}\t{round_}\t{rps.group(1)}\t{ms(p50.group(1))}\t{ms(p99.group(1))}\t{bad.group(1) if bad else 0}")
