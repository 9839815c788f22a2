"""Prints bench/run's results as issue 18's table: each figure, what this run measured, the goal.

Reads the rows the sections append (see bench/pages.sh and bench/run) and takes medians over
rounds. A figure whose inputs were not measured in this run says so.
"""
import statistics
import sys
from collections import defaultdict

path, fraction = sys.argv[1], sys.argv[2]
rate = defaultdict(lambda: defaultdict(list))  # (backend, scale, route) -> rps/p50/p99 lists
size, visit, dash, ledger, checkout, other = {}, {}, {}, {}, {}, {}
meili, skipped, peer, cache = None, [], {}, {}
for line in open(path).read().splitlines():
    f = line.split("\t")
    kind = f[0]
    if kind == "rate":
        _, b, s, route, _round, rps, p50, p99, _bad = f
        r = rate[(b, s, route)]
        r["rps"].append(float(rps))
        r["p50"].append(float(p50))
        r["p99"].append(float(p99))
    elif kind == "size":
        size[(f[1], f[2], f[3])] = tuple(int(x) for x in f[4:7])
    elif kind == "visit":
        visit[(f[1], f[2], f[3])] = int(f[4])
    elif kind == "cache":
        cache[(f[1], f[2])] = (f[3], f[4])
    elif kind == "dash":
        dash[(f[1], f[2])] = (float(f[3]), float(f[4]))
    elif kind == "ledger":
        ledger[f[1]] = float(f[2])
    elif kind == "checkout":
        checkout[f[1]] = float(f[2])
    elif kind == "meili":
        meili = float(f[1])
    elif kind == "peer":
        peer[f[1]] = float(f[2])
    elif kind == "skipped":
        skipped.append((f[1], f[2]))


def med(b, s, route, key="rps"):
    r = rate.get((b, s, route))
    return statistics.median(r[key]) if r and r[key] else None


def ratio(b, s, route):
    x, base = med(b, s, route), med(b, s, "healthz")
    return x / base if x is not None and base else None


backends = sorted({k[0] for k in rate} | {k[0] for k in dash} | set(ledger) | set(checkout))
scales = [s for s in ("demo", "national") if any(k[1] == s for k in rate)]
rows = []


def row(figure, now, goal, met):
    rows.append((figure, now, goal, "—" if met is None else ("yes" if met else "NO")))


def fmt(x, spec=".3f"):
    return "not measured" if x is None else format(x, spec)


uncached = [("list", "`/products`, uncached", 0.04), ("product", "`/products/{slug}`, uncached", 0.10),
            ("search", "`/search` page (embedded), uncached", 0.02)]
for b in backends:
    for s in scales:
        for route, label, goal in uncached:
            x = ratio(b, s, f"{route}_uncached")
            row(f"{label} ÷ `/healthz` ({b}, {s})", fmt(x), f"≥ {goal}", None if x is None else x >= goal)
        again = [ratio(b, s, f"{p}_again") for p in ("home", "list", "product", "search")]
        again = [a for a in again if a is not None]
        x = min(again) if again else None
        row(f"any anonymous page served again ÷ `/healthz`, the lowest of 4 ({b}, {s})", fmt(x), "≥ 0.25",
            None if x is None else x >= 0.25)
if "demo" in scales and "national" in scales:
    for b in backends:
        worst = None
        for route in ("list_uncached", "product_uncached", "search_uncached", "home_again", "list_again",
                      "product_again", "search_again"):
            n, d = ratio(b, "national", route), ratio(b, "demo", route)
            if n is not None and d:
                worst = n / d if worst is None else min(worst, n / d)
        row(f"national ÷ demo, the lowest over pages ({b})", fmt(worst), "≥ 0.8 for every page",
            None if worst is None else worst >= 0.8)
if "sqlite" in backends and "postgres" in backends:
    for s in scales:
        worst = None
        for route in ("list_uncached", "product_uncached", "search_uncached", "list_again", "product_again"):
            p, q = ratio("postgres", s, route), ratio("sqlite", s, route)
            if p is not None and q:
                worst = p / q if worst is None else min(worst, p / q)
        row(f"PostgreSQL ÷ SQLite, the lowest over pages ({s})", fmt(worst), "≥ 0.8",
            None if worst is None else worst >= 0.8)
for b in backends:
    for s in scales:
        worst, worst_route = None, None
        for route in ("list_uncached", "product_uncached", "search_uncached", "home_again", "list_again",
                      "product_again", "search_again"):
            p50, p99 = med(b, s, route, "p50"), med(b, s, route, "p99")
            if p50 and p99 and (worst is None or p99 / p50 > worst):
                worst, worst_route = p99 / p50, route
        # /healthz does no work: its own tail is what the shared machine (wrk and the server on
        # two cores) adds, printed beside so that a page's tail can be told from the machine's.
        h50, h99 = med(b, s, "healthz", "p50"), med(b, s, "healthz", "p99")
        machine = f"; `/healthz` {h99 / h50:.1f}" if h50 and h99 else ""
        row(f"p99 ÷ p50 at 16 connections, the highest over pages ({b}, {s}: {worst_route}{machine})",
            fmt(worst, ".1f"), "≤ 3", None if worst is None else worst <= 3)
for b in backends:
    for s in scales:
        pages = {k[2]: v for k, v in size.items() if k[0] == b and k[1] == s}
        if pages:
            page, (ident, gz, br) = max(pages.items(), key=lambda kv: kv[1][0])
            row(f"HTML of the largest storefront page ({page}; {b}, {s}): as sent / gzip / brotli",
                f"{ident / 1024:.1f} KB / {gz / 1024:.1f} KB / {br / 1024:.1f} KB", "≤ 40 KB", ident <= 40 * 1024)
        visits = {k[2]: v for k, v in visit.items() if k[0] == b and k[1] == s}
        if visits:
            page, total = max(visits.items(), key=lambda kv: kv[1])
            row(f"a whole first visit, the largest ({page}; {b}, {s})", f"{total / 1024:.1f} KB", "≤ 150 KB",
                total <= 150 * 1024)
        if (b, s) in cache:
            first, second = cache[(b, s)]
            row(f"one new URL asked twice: x-page-cache ({b}, {s})", f"{first}, then {second}", "miss, then hit",
                (first, second) == ("miss", "hit"))
if peer:
    worst = min(peer.values())
    row("our rate ÷ the peer shop's, the lowest over routes (" + ", ".join(f"{k} {v:.0f}×" for k, v in peer.items()) + ")",
        f"{worst:.0f}×", "≥ 50×", worst >= 50)
for b in backends:
    for level in ("province", "prefecture", "county"):
        if (b, level) in dash:
            p50, p99 = dash[(b, level)]
            row(f"official dashboard p99, {level} ({b}, national)", f"{p99:.1f} ms (p50 {p50:.1f})", "< 200 ms", p99 < 200)
for b in backends:
    if b in ledger:
        row(f"ledger posting ÷ bare insert ({b})", f"{ledger[b]:.2f}×", "≤ 3×", ledger[b] <= 3)
for b in backends:
    if b in checkout:
        goal = 0.15 if b == "sqlite" else 0.4
        row(f"hot-product checkout ÷ bare conditional-UPDATE loop ({b})", f"{checkout[b]:.3f}", f"≥ {goal}",
            checkout[b] >= goal)
if meili is not None:
    row("app search minus direct Meilisearch, p50", f"{meili:+.2f} ms", "≤ +0.5 ms", meili <= 0.5)
for what, why in skipped:
    row(what, f"skipped: {why}", "", None)

print()
print(f"Issue 18 figures (national fraction {fraction}; ratios to baselines of the same run)")
print()
print("| figure | now | goal | met |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
