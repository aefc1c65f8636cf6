#!/usr/bin/env python3
"""Summarises the fan-out ladder (run.sh) into a Markdown table, a gnuplot data file and,
with --update-doc, the results block of docs/BENCHMARKS.md. Standard library only."""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floorsim  # noqa: E402

BEGIN = "<!-- fanout-results:begin -->"
END = "<!-- fanout-results:end -->"
FLOOR_BEGIN = "<!-- floor-results:begin -->"
FLOOR_END = "<!-- floor-results:end -->"
NAMES = {"classbridge": "ClassBridge", "janus": "Janus 1.1.2",
         "classbridge-base": "ClassBridge, baseline binary"}


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
                 "latency p50 / p99 ms | join p50 / p99 ms | load client CPU % | machine load avg |")
    lines.append("|---|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
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
                f"{fmt(r['join_p99_ms'], 0)} | {fmt(r['load_cpu_pct'])} | "
                f"{fmt(r.get('loadavg', 0))} |")
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
        fh.write("# N janus_cpu classbridge_cpu janus_p99 classbridge_p99 janus_loss "
                 "classbridge_loss janus_us_per_sub_s classbridge_us_per_sub_s\n")
        for n in ns:
            row = [str(n)]
            for key in ("server_cpu_pct", "latency_p99_ms", "loss_pct",
                        "server_cpu_us_per_sub_second"):
                for s in servers:
                    r = res.get(s, {}).get(n)
                    row.append(fmt(r[key], 3) if r else "NaN")
            fh.write(" ".join(row) + "\n")
    return "\n".join(lines) + "\n"


def floor_block(out, res):
    path = os.path.join(out, "floor.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        bench = json.load(fh).get("benchmarks", [])
    pps = next((r["media_pps"] for s in res.values() for r in s.values() if "media_pps" in r), 226.0)
    lines = [f"Per-packet CPU cost (CPU time of the sending thread, 1,200-byte packets; loopback "
             f"unless marked veth) "
             f"and the bound it implies for this stream ({pps:.0f} packets/s per subscriber: "
             f"subscribers per core = 10⁶ / (µs per packet × {pps:.0f})).", "",
             "| benchmark | what | µs per packet | subscribers per core (bound) |",
             "|---|---|---:|---:|"]
    what = {
        "BM_SendtoFanout": "one sendto per packet",
        "BM_SendmmsgFanout/8": "sendmmsg, 8 destinations per call",
        "BM_SendmmsgFanout/32": "sendmmsg, 32 destinations per call",
        "BM_GsoOneDestination/4": "UDP GSO, 4 segments to one destination",
        "BM_GsoOneDestination/16": "UDP GSO, 16 segments to one destination",
        "BM_FloorOpenssl/0": "copy + protect (OpenSSL, rtc::SrtpProtector) + sendmmsg/32",
        "BM_FloorOpenssl/1": "copy + protect (OpenSSL, rtc::SrtpProtector) + sendmmsg/32",
        "BM_FloorLibsrtp/0": "copy + protect (libsrtp2, NSS) + sendmmsg/32",
        "BM_FloorLibsrtp/1": "copy + protect (libsrtp2, NSS) + sendmmsg/32",
    }
    floor = {}
    # floor-veth.json: the same benchmarks with the receivers across the ladder's veth pair
    # (run.sh), i.e. on the path the servers' packets take.
    veth_path = os.path.join(out, "floor-veth.json")
    veth = json.load(open(veth_path)).get("benchmarks", []) if os.path.exists(veth_path) else []
    for path_name, results in (("", bench), (" (veth)", veth)):
        for b in results:
            ips = b.get("items_per_second")
            if not ips or b.get("error_occurred"):
                continue
            us = 1e6 / ips
            subs = 1e6 / (us * pps)
            floor[b["name"] + path_name] = subs
            label = f" ({b['label']})" if b.get("label") else ""
            where = ", over the veth pair to the load namespace" if path_name else ""
            desc = what.get(b["name"], "")
            if b["name"].startswith("BM_FloorAtScaleGso/"):
                _, n, k = b["name"].split("/")
                desc = (f"copy + protect + {k} packets per subscriber in one UDP GSO message, "
                        f"{n} subscribers (AES_CM_128_HMAC_SHA1_80)")
            if b["name"].startswith("BM_FloorAtScale/"):
                _, _, n, size = b["name"].split("/")
                desc = (f"copy + protect + sendmmsg/64 to {n} subscribers, each with its own "
                        f"protector and socket, {size}-byte packets")
            lines.append(f"| {b['name']}{path_name} | {desc}{label}{where} "
                         f"| {us:.2f} | {subs:.0f} |")
    cm = floor.get("BM_FloorOpenssl/0 (veth)") or floor.get("BM_FloorOpenssl/0")
    if cm:
        path = "the ladder's veth path" if "BM_FloorOpenssl/0 (veth)" in floor else "loopback"
        lines.append("")
        lines.append(f"Cache-warm floor (the small rows: 32 protectors, 64 sockets) with the "
                     f"suite Chromium uses (AES_CM_128_HMAC_SHA1_80, OpenSSL protect, sendmmsg) "
                     f"on {path}: ≈ {cm:.0f} subscribers per core on average.")
        c = res.get("classbridge", {})
        held = [r for n, r in sorted(c.items()) if holds(r)]
        if held:
            r = held[-1]
            proj = r["subscribers"] * 100 / max(r["server_cpu_pct"], 1e-9)
            lines.append(f"ClassBridge at its largest step held ({r['subscribers']}) costs "
                         f"{r['server_cpu_us_per_sub_second']:.0f} µs per subscriber-second, i.e. "
                         f"≈ {proj:.0f} subscribers per full core: {100 * proj / cm:.0f} % of "
                         f"that. The floor at the ladder's scale and under its rule follows.")
    lines += scale_lines(out, res)
    return "\n".join(lines) + "\n"


def scale_lines(out, res):
    """The floor at the ladder's scale, on average and under the ladder's own rule."""
    sched, veth = os.path.join(out, "schedule.txt"), os.path.join(out, "floor-veth.json")
    if not (os.path.exists(sched) and os.path.exists(veth)):
        return []
    try:
        sim = floorsim.report(sched, veth, steps=sorted({n for s in res.values() for n in s}))
    except ValueError:
        return []
    avg, rule, rule_gso = sim["average_bound"], sim["rule_bound"], sim.get("rule_bound_gso")
    best = max(rule, rule_gso or 0)
    lines = ["", f"**At the ladder's scale** (`BM_FloorAtScale` over veth: N protectors, N "
             f"receiving sockets, batches of 64), the floor allows **≈ {avg} subscribers per "
             f"core on average** (N × cost(N) × packet rate = one core). Under the ladder's "
             f"rule (p99 < 20 ms; the publisher's paced schedule replayed through an ideal "
             f"one-core FIFO server doing only the floor's work, `floorsim.py`) it holds "
             f"**≈ {rule}** sending one packet at a time: a keyframe's packets queue once "
             f"N × cost exceeds their 2.6 ms spacing."]
    if rule_gso:
        lines[-1] += (f" Catching up as ClassBridge does (every waiting packet to each "
                      f"subscriber in one UDP GSO message, `BM_FloorAtScaleGso`'s cost) it "
                      f"holds **≈ {rule_gso}**.")
    lines += ["", "| N | floor µs per packet | floor utilisation | floor p50 / p99 ms, one packet at a time | with GSO catch-up |",
              "|---:|---:|---:|---:|---:|"]
    for n, st in sorted(sim["steps"].items(), key=lambda kv: int(kv[0])):
        g = (f"{st['gso_p50_ms']:.2f} / {st['gso_p99_ms']:.2f}" if "gso_p99_ms" in st else "")
        lines.append(f"| {n} | {st['us_per_packet']:.2f} | {100 * st['utilisation']:.0f} % | "
                     f"{st['p50_ms']:.2f} / {st['p99_ms']:.2f} | {g} |")
    held = [r for n, r in sorted(res.get("classbridge", {}).items()) if holds(r)]
    if held:
        r = held[-1]
        proj = r["subscribers"] * 100 / max(r["server_cpu_pct"], 1e-9)
        lines += ["", f"ClassBridge held **{r['subscribers']}**: **{100 * r['subscribers'] / max(best, 1):.0f} % "
                  f"of what the floor holds under the same rule** (the better of the two, "
                  f"{best}), {100 * r['subscribers'] / max(avg, 1):.0f} % of the floor's average "
                  f"bound ({avg}); by its CPU cost at that step (≈ {proj:.0f} per full core) "
                  f"{100 * proj / max(avg, 1):.0f} % of the average bound."]
    return lines


def replace_block(text, begin, end, block, heading):
    wrapped = f"{begin}\n{block}{end}"
    if begin in text and end in text:
        a, b = text.index(begin), text.index(end) + len(end)
        return text[:a] + wrapped + text[b:]
    return text.rstrip("\n") + f"\n\n{heading}\n\n" + wrapped + "\n"


def update_doc(doc, block, fblock):
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    text = replace_block(text, BEGIN, END, block, "## Fan-out (issue 6)")
    if fblock:
        text = replace_block(text, FLOOR_BEGIN, FLOOR_END, fblock, "## Per-packet floor")
    with open(doc, "w") as fh:
        fh.write(text)


def main():
    args = sys.argv[1:]
    doc = None
    if args and args[0] == "--update-doc":
        doc, args = args[1], args[2:]
    out = args[0]
    res = load(out)
    block = table(res, out)
    fblock = floor_block(out, res)
    if doc:
        update_doc(doc, block, fblock)
    else:
        sys.stdout.write(block + "\n" + (fblock or ""))


if __name__ == "__main__":
    main()
