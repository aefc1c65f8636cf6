#!/usr/bin/env python3
"""A/V sync of a recording whose source carries sync markers.

The source (see `marker_source_args` in tests/e2e/lib/avsync.mjs, or the command in
docs/BENCHMARKS.md) shows one white frame at the start of every second of black video and
starts a 1 kHz beep at the same instant. This script decodes the FILE (any container
ffmpeg reads: the fMP4 recording, its playlist, lesson.mp4) and reports, per marker, the
beep onset minus the flash frame's time (positive: audio late), plus mean, max |offset|
and drift (least-squares slope, ms per hour).

Timestamps are those of the file (ffmpeg shifts both streams by the same start time), so
the result is what a player shows. Flash: first frame of a run whose average luma
(signalstats YAVG) is above 128. Beep: `silencedetect`'s silence_end (sample-exact).
ffmpeg prints times with 6 significant digits (10 ms steps past 1000 s), so the file is
read in windows of WINDOW seconds (input seek; both streams shifted alike) that start
half a second before a marker, keeping every printed time below 100 s (0.1 ms steps).

Usage: avsync.py FILE [--json] [--max-offset-ms N]  (exit 1 if any |offset| > N)
"""
import json
import re
import subprocess
import sys


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {p.stderr.decode(errors='replace')[-2000:]}")
    return p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


WINDOW = 90.0


def duration(path):
    out, _ = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                  path])
    return float(out.strip())


def window_args(start, path):
    return ["ffmpeg", "-nostdin", "-v", "info", "-ss", f"{start:.3f}", "-t", f"{WINDOW + 1:.3f}",
            "-i", path]


def video_flashes(args):
    # Downscale first: signalstats on 32x18 is cheap even for an hour of video.
    out, _ = run(args + ["-map", "0:v:0", "-vf",
                  "scale=32:18,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
                  "-f", "null", "-"])
    flashes, pts, bright = [], None, False
    for line in out.splitlines():
        m = re.match(r"frame:\d+\s+pts:\S+\s+pts_time:(\S+)", line)
        if m:
            pts = float(m.group(1))
            continue
        m = re.match(r"lavfi\.signalstats\.YAVG=(\S+)", line)
        if m and pts is not None:
            now = float(m.group(1)) > 128
            if now and not bright:
                flashes.append(pts)
            bright = now
    return flashes


def audio_onsets(args):
    # A beep lasts 100 ms, the silence between two 900 ms: d=0.3 ignores codec ripples.
    _, err = run(args + ["-map", "0:a:0", "-af", "silencedetect=noise=-26dB:d=0.3", "-f", "null",
                         "-"])
    return [float(m.group(1)) for m in re.finditer(r"silence_end:\s*(-?[\d.]+)", err)]


def analyse(path):
    flashes, onsets, start, end = [], [], 0.0, duration(path)
    while start < end:
        args = window_args(start, path)
        # Each marker once: the one in [start + 0.5, start + 0.5 + WINDOW).
        keep = lambda t: start + 0.25 <= t < start + 0.25 + WINDOW  # noqa: E731
        flashes += [start + t for t in video_flashes(args) if keep(start + t)]
        onsets += [start + t for t in audio_onsets(args) if keep(start + t)]
        start += WINDOW
    markers, j = [], 0
    for v in flashes:
        while j < len(onsets) and onsets[j] < v - 0.5:
            j += 1
        if j < len(onsets) and abs(onsets[j] - v) < 0.5:
            markers.append({"video": round(v, 4), "audio": round(onsets[j], 4),
                            "offset_ms": round((onsets[j] - v) * 1000, 1)})
    res = {"file": path, "flashes": len(flashes), "beeps": len(onsets), "markers": markers}
    if markers:
        offs = [m["offset_ms"] for m in markers]
        n = len(offs)
        res["mean_ms"] = round(sum(offs) / n, 1)
        res["max_abs_ms"] = max(abs(o) for o in offs)
        res["first_ms"], res["middle_ms"], res["last_ms"] = offs[0], offs[n // 2], offs[-1]
        res["span_s"] = round(markers[-1]["video"] - markers[0]["video"], 1)
        xs = [m["video"] for m in markers]
        mx = sum(xs) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (o - res["mean_ms"]) for x, o in zip(xs, offs)) / sxx if sxx else 0.0
        res["drift_ms_per_hour"] = round(slope * 3600, 1)
    return res


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    limit = None
    if "--max-offset-ms" in args:
        i = args.index("--max-offset-ms")
        limit = float(args[i + 1])
        del args[i:i + 2]
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    res = analyse(args[0])
    if as_json:
        print(json.dumps(res))
    else:
        for m in res["markers"]:
            print(f"{m['video']:10.3f}s  offset {m['offset_ms']:+7.1f} ms")
        summary = {k: v for k, v in res.items() if k != "markers"}
        print(json.dumps(summary))
    if limit is not None and (not res["markers"] or res["max_abs_ms"] > limit):
        sys.exit(1)


if __name__ == "__main__":
    main()
