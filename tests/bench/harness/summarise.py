#!/usr/bin/env python3
"""Summarises the fan-out ladder (run.sh) into a Markdown table, a gnuplot data file and,
with --update-doc, the results block of docs/BENCHMARKS.md. Standard library only."""
import glob
import json
import os
import sys

BEGIN = "<!-- fanout-results:begin -->"
END = "<!-- fanout-results:end -->"
NAMES = {"classbridge": "ClassBridge", "janus": "Janus 1.1.2"}


def holds(r):
    n = r["subscribers"]
    return (r["connected"] == n and r["with_keyframe"] == n and r["loss_pct"] < 0.5
            and r["latency_p99_ms"] < 20)


def load(out):
    res = {}
    for f in glob.glob(os.path.join(out, "results", "*.json")):
        with open(f) as fh:
            r = json.load(fh)
        res.setdefault(r["server"], {})[r["subscribers"]] = r
    return res


def fmt(v, d=1):
    return f"{v:.{d}f}"


def table(res, out):
    lines = []
    lines.append("| server | N | held | joined / keyframe | server CPU (% of its core) | "
                 "CPU µs per sub·s | peak RSS MiB | KiB per added sub | Mbit/s out | loss % | "
                 "latency p50 / p99 ms | join p50 / p99 ms | load client CPU % |")
    lines.append("|---|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = {}
    for server in sorted(res):
        prev = None
        for n in sorted(res[server]):
            r = res[server][n]
            ok = holds(r)
            if ok:
                best[server] = r
            kib = ""
            if prev is not None and n > prev["subscribers"]:
                kib = fmt((r["server_peak_rss_kib"] - prev["server_peak_rss_kib"]) /
                          (n - prev["subscribers"]))
            lines.append(
                f"| {NAMES.get(server, server)} | {n} | {'✓' if ok else '✗'} | "
                f"{r['connected']} / {r['with_keyframe']} | {fmt(r['server_cpu_pct'])} | "
                f"{fmt(r['server_cpu_us_per_sub_second'], 0)} | "
                f"{fmt(r['server_peak_rss_kib'] / 1024)} | {kib} | {fmt(r['mbit_per_s'])} | "
                f"{fmt(r['loss_pct'], 2)} | {fmt(r['latency_p50_ms'], 2)} / "
                f"{fmt(r['latency_p99_ms'], 2)} | {fmt(r['join_p50_ms'], 0)} / "
                f"{fmt(r['join_p99_ms'], 0)} | {fmt(r['load_cpu_pct'])} |")
            prev = r
    lines.append("")
    for server in sorted(res):
        r = best.get(server)
        if not r:
            lines.append(f"- **{NAMES.get(server, server)}**: held no step.")
            continue
        cpu = max(r["server_cpu_pct"], 1e-9)
        lines.append(
            f"- **{NAMES.get(server, server)}**: largest N held on its one core: "
            f"**{r['subscribers']}** (CPU {fmt(cpu)} % of the core; at that cost per "
            f"subscriber a full core would carry ≈ {int(r['subscribers'] * 100 / cpu)}). "
            f"SRTP suite to subscribers: {r['srtp_suite_subscribers']}; publisher: "
            f"{r['publisher_transport']}.")
    if "classbridge" in best and "janus" in best:
        c, j = best["classbridge"], best["janus"]
        lines.append(
            f"- Ratio ClassBridge / Janus, largest N held: "
            f"**{c['subscribers'] / j['subscribers']:.2f}×**; CPU per subscriber-second at "
            f"those steps: {fmt(c['server_cpu_us_per_sub_second'], 0)} µs vs "
            f"{fmt(j['server_cpu_us_per_sub_second'], 0)} µs "
            f"(**{j['server_cpu_us_per_sub_second'] / max(c['server_cpu_us_per_sub_second'], 1e-9):.2f}×**).")
    # gnuplot data: N, then per server CPU % and p99 ms ("NaN" where not run).
    servers = ["janus", "classbridge"]
    ns = sorted({n for s in res.values() for n in s})
    with open(os.path.join(out, "fanout.dat"), "w") as fh:
        fh.write("# N janus_cpu classbridge_cpu janus_p99 classbridge_p99 janus_loss classbridge_loss\n")
        for n in ns:
            row = [str(n)]
            for key in ("server_cpu_pct", "latency_p99_ms", "loss_pct"):
                for s in servers:
                    r = res.get(s, {}).get(n)
                    row.append(fmt(r[key], 3) if r else "NaN")
            fh.write(" ".join(row) + "\n")
    return "\n".join(lines) + "\n"


def update_doc(doc, block):
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    wrapped = f"{BEGIN}\n{block}{END}"
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + wrapped + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n## Fan-out (issue 6)\n\n" + wrapped + "\n"
    with open(doc, "w") as fh:
        fh.write(text)


def main():
    args = sys.argv[1:]
    doc = None
    if args and args[0] == "--update-doc":
        doc, args = args[1], args[2:]
    out = args[0]
    block = table(load(out), out)
    if doc:
        update_doc(doc, block)
    else:
        sys.stdout.write(block)


if __name__ == "__main__":
    main()
