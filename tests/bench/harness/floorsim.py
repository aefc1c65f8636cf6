#!/usr/bin/env python3
"""How many subscribers the per-packet floor allows under the ladder's own rule (p99 forwarding
latency < 20 ms), not just on average. A server on one core fans each packet out to N
subscribers one after the other; when N x cost exceeds the gap between the paced packets of a
keyframe, later packets queue. This replays the publisher's real schedule (cb-load
--dump-schedule) through an ideal single-core FIFO server whose only work is the floor's
(FloorBench BM_FloorAtScale: copy + SRTP protect + sendmmsg to N sockets across the veth pair,
batches of 64, CPU time per packet): no receive work, no RTCP, no timers, no scheduling
delays - an upper bound for any server on that core. A second run lets the ideal server
catch up as ClassBridge does (every packet waiting when it gets free goes to each subscriber
in one UDP GSO message, at FloorBench BM_FloorAtScaleGso's cost). Standard library only."""
import json
import math
import os
import sys

BATCH = 64
RULE_P99_MS = 20.0


def read_schedule(path):
    loop_ns, pkts = None, []
    with open(path) as fh:
        for line in fh:
            if line.startswith("# loop_ns"):
                loop_ns = int(line.split()[2])
            elif line.strip() and not line.startswith("#"):
                off, kind, size = line.split()
                pkts.append((int(off), kind == "v", int(size)))
    if loop_ns is None or not pkts:
        raise ValueError(f"{path}: not a schedule")
    return loop_ns, pkts


def read_gso(path):
    """{N: {k: µs per packet}} from BM_FloorAtScaleGso/N/k: k packets per subscriber in one
    UDP GSO message."""
    gso = {}
    with open(path) as fh:
        for b in json.load(fh).get("benchmarks", []):
            parts = b["name"].split("/")
            if parts[0] != "BM_FloorAtScaleGso" or b.get("error_occurred"):
                continue
            n, k = int(parts[1]), int(parts[2])
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "ns")]
            gso.setdefault(n, {})[k] = b["cpu_time"] * scale / (n * k)
    return gso


def gso_factor(gso, n, k):
    """Cost per packet with k packets per GSO message relative to k = 1, at the measured N
    nearest to n (linear between measured k, flat beyond)."""
    if not gso or k <= 1:
        return 1.0
    row = gso[min(gso, key=lambda m: abs(m - n))]
    if 1 not in row:
        return 1.0
    pts = sorted((kk, c / row[1]) for kk, c in row.items())
    return CostModel._interp(pts, k)


def read_costs(path):
    """{(N, size): µs of sender CPU per packet-subscriber} from BM_FloorAtScale/0/N/size rows."""
    costs = {}
    with open(path) as fh:
        for b in json.load(fh).get("benchmarks", []):
            parts = b["name"].split("/")
            if parts[0] != "BM_FloorAtScale" or b.get("error_occurred") or parts[1] != "0":
                continue
            n, size = int(parts[2]), int(parts[3])
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "ns")]
            costs[(n, size)] = b["cpu_time"] * scale / n
    return costs


class CostModel:
    """Cost per packet-subscriber for N subscribers and a packet of `size` bytes: linear in N
    between the measured N (flat beyond the ends), linear in size between the small and the
    1,200-byte rows measured at the nearest N."""

    def __init__(self, costs):
        self.big = sorted((n, c) for (n, s), c in costs.items() if s >= 1000)
        self.small = {n: (s, c) for (n, s), c in costs.items() if s < 1000}
        if not self.big:
            raise ValueError("no BM_FloorAtScale rows with 1,200-byte packets")
        self.big_size = max(s for (n, s) in costs if s >= 1000)

    @staticmethod
    def _interp(points, n):
        if n <= points[0][0]:
            return points[0][1]
        for (n0, c0), (n1, c1) in zip(points, points[1:]):
            if n <= n1:
                return c0 + (c1 - c0) * (n - n0) / (n1 - n0)
        return points[-1][1]

    def __call__(self, n, size):
        big = self._interp(self.big, n)
        if not self.small or size >= self.big_size:
            return big
        near = min(self.small, key=lambda m: abs(m - n))
        s_small, c_small = self.small[near]
        big_near = self._interp(self.big, near)
        ratio = c_small / big_near  # how much cheaper a small packet is, at that N
        f = max(0.0, min(1.0, (size - s_small) / (self.big_size - s_small)))
        return big * (ratio + (1 - ratio) * f)


def simulate(n, loop_ns, pkts, cost, loops=3, gso=None, max_batch=16):
    """Latency percentiles (ms) of video packets over all subscribers, and the utilisation.
    With `gso` (read_gso) the server catches up like ClassBridge: when it is free it takes
    every packet that has arrived (up to max_batch) and sends each subscriber all of them in
    one GSO message, at the measured cost per packet for that many; without, one packet at
    a time."""
    events = [(loop * loop_ns + off, video, size)
              for loop in range(loops) for off, video, size in pkts]
    measure_from = loop_ns  # the first loop only warms the queue up
    finish = 0.0
    samples = []  # (latency ns, weight)
    busy = 0.0
    i = 0
    while i < len(events):
        start = max(events[i][0], finish)
        j = i + 1
        if gso is not None:
            while j < len(events) and j - i < max_batch and events[j][0] <= start:
                j += 1
        batch = events[i:j]
        factor = gso_factor(gso, n, len(batch))
        per_sub = sum(cost(n, size) for _, _, size in batch) * factor * 1e3  # ns
        finish = start + n * per_sub
        busy += n * per_sub
        for arrive, video, _ in batch:
            if video and arrive >= measure_from:
                for first in range(0, n, BATCH):
                    k = min(first + BATCH, n)
                    samples.append((start + k * per_sub - arrive, k - first))
        i = j
    samples.sort()
    total = sum(w for _, w in samples)

    def pct(p):
        acc = 0
        for v, w in samples:
            acc += w
            if acc >= p * total:
                return v / 1e6
        return samples[-1][0] / 1e6

    return pct(0.5), pct(0.99), busy / (loops * loop_ns)


def largest_held(loop_ns, pkts, cost, hi=4000, gso=None):
    """Largest N (multiple of 10) whose simulated p99 < 20 ms and utilisation < 1."""
    def ok(n):
        _, p99, util = simulate(n, loop_ns, pkts, cost, gso=gso)
        return util < 1.0 and p99 < RULE_P99_MS
    lo, hi = 0, hi // 10
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid * 10):
            lo = mid
        else:
            hi = mid - 1
    return lo * 10


def average_bound(loop_ns, pkts, cost, hi=20000):
    """Largest N whose average load fits the core: N x mean cost x packet rate < 1 s per s."""
    rate_s = loop_ns / 1e9
    n = 10
    while n < hi:
        per_s = sum(cost(n + 10, size) for _, _, size in pkts) * (n + 10) / rate_s
        if per_s >= 1e6:
            break
        n += 10
    return n


def report(schedule_path, floor_json, steps=(250, 500, 750, 1000)):
    loop_ns, pkts = read_schedule(schedule_path)
    cost = CostModel(read_costs(floor_json))
    gso = read_gso(floor_json) or None
    out = {"average_bound": average_bound(loop_ns, pkts, cost),
           "rule_bound": largest_held(loop_ns, pkts, cost),
           "rule_bound_gso": largest_held(loop_ns, pkts, cost, gso=gso) if gso else None,
           "steps": {}}
    for n in steps:
        p50, p99, util = simulate(n, loop_ns, pkts, cost)
        st = {"p50_ms": p50, "p99_ms": p99, "utilisation": util,
              "us_per_packet": cost(n, 1200)}
        if gso:
            st["gso_p50_ms"], st["gso_p99_ms"], _ = simulate(n, loop_ns, pkts, cost, gso=gso)
        out["steps"][n] = st
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: floorsim.py SCHEDULE floor-veth.json")
    json.dump(report(sys.argv[1], sys.argv[2]), sys.stdout, indent=2)
    print()
