#!/usr/bin/env bash
# Fan-out benchmark, ClassBridge vs Janus (issue 6). One command, as root:
#   bash tests/bench/harness/run.sh [--quick] [--servers "janus classbridge"] [--steps "100 250"]
#                                   [--duration 30] [--out DIR] [--no-docs] [--no-floor]
#                                   [--until HH:MM] [--no-stop]
# Builds nothing: needs build-bench/bench/cb-load (cmake --build build-bench --target cb-load)
# and a classbridge binary ($CB_BINARY, default build/classbridge). See docs/benchmark-harness.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HARNESS=$ROOT/tests/bench/harness
source "$HARNESS/lib.sh"

SERVERS="janus classbridge"
STEPS="100 250 500 1000 2000 3000 4000"
DURATION=30
WARMUP=5
JOIN_RATE=${JOIN_RATE:-100}
OUT=""
DOCS=1
FLOOR=1
UNTIL=""
NOSTOP=0
NICE=${NICE:-0}  # scheduling priority of servers and load client (same for both servers)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) STEPS="10 25"; DURATION=10; WARMUP=2; FLOOR=0 ;;
    --no-floor) FLOOR=0 ;;
    --no-stop) NOSTOP=1 ;;  # run every step even after a failing one (marked ✗ in the table)
    --until) UNTIL=$(date -d "$2" +%s); shift ;;  # start no step after this time (e.g. 03:20)
    --servers) SERVERS=$2; shift ;;
    --steps) STEPS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-docs) DOCS=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh needs root (network namespaces)" >&2; exit 2; }
LOAD_BIN=${CB_LOAD:-$ROOT/build-bench/bench/cb-load}
CB_BIN=${CB_BINARY:-$ROOT/build/classbridge}
[ -x "$LOAD_BIN" ] || { echo "missing $LOAD_BIN (cmake --build build-bench --target cb-load)" >&2; exit 2; }
case " $SERVERS " in *" classbridge "*) [ -x "$CB_BIN" ] || { echo "missing $CB_BIN" >&2; exit 2; } ;; esac
CB_BASE_BIN=${CB_BASE_BINARY:-}
case " $SERVERS " in *" classbridge-base "*) [ -x "$CB_BASE_BIN" ] || { echo "missing \$CB_BASE_BINARY" >&2; exit 2; } ;; esac
OUT=${OUT:-$(mktemp -d /tmp/cb-bench.XXXXXX)}
mkdir -p "$OUT/results"
MEDIA=${CB_BENCH_MEDIA:-/tmp/cb-bench-media}
bash "$HARNESS/media.sh" "$MEDIA"

SERVER_PID=""
cleanup() { stop_pid "$SERVER_PID"; ns_down; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ns_up
ulimit -n 65536 2>/dev/null || true

# Starts $1 fresh (new process per step: peak RSS per step, no leftovers), sets SERVER_PID and
# the cb-load arguments for it.
start_server() {
  local server=$1 dir=$2
  case "$server" in
    janus)
      janus_start "$dir"
      SERVER_PID=$JANUS_PID
      SERVER_ARGS=(--server janus --base "$JANUS_BASE" --mountpoint 1
        --video-port "$JANUS_VIDEO_PORT" --audio-port "$JANUS_AUDIO_PORT") ;;
    classbridge|classbridge-base)
      # classbridge-base: a second ClassBridge binary ($CB_BASE_BINARY, e.g. the commit
      # before an optimisation) in the same run, for A/B figures.
      cb_start "$dir" "$([ "$server" = classbridge ] && echo "$CB_BIN" || echo "$CB_BASE_BIN")"
      SERVER_PID=$CB_PID
      SERVER_ARGS=(--server classbridge --base "$CB_BASE" --lesson "$CB_LESSON"
        --publisher-token "$CB_TEACHER_TOKEN" --viewer-token "$CB_CLASSROOM_TOKEN") ;;
  esac
}

# A step holds when every subscriber joined and got a keyframe, loss < 0.5 % and p99 < 20 ms.
holds() {
  jq -e --argjson n "$2" '.connected == $n and .with_keyframe == $n and .loss_pct < 0.5
    and .latency_p99_ms < 20' "$1" >/dev/null
}

# The per-packet floor first, in the same run as the ladder.
FLOOR_BIN=${CB_FLOOR:-$ROOT/build-bench/bench/FloorBench}
if [ "$FLOOR" = 1 ] && [ -x "$FLOOR_BIN" ]; then
  log "per-packet floor (FloorBench; CPU time of the sending thread)"
  # Sender pinned like the server, receivers drained on the load client's core.
  pin=(CB_FLOOR_SEND_CPU="$SERVER_CPU" CB_FLOOR_DRAIN_CPU="$LOAD_CPU")
  env "${pin[@]}" nice -n "$NICE" "$FLOOR_BIN" --benchmark_filter='-FloorAtScale' --benchmark_min_time=1 \
    --benchmark_format=json >"$OUT/floor.json" 2>"$OUT/floor.err" ||
    log "FloorBench failed: $(tail -2 "$OUT/floor.err")"
  # The same sends on the ladder's path: from the server namespace over the veth pair to
  # receivers in the load namespace (veth costs more per packet than loopback), and at the
  # ladder's scale (N protectors, N receiving sockets).
  nsx env "${pin[@]}" CB_FLOOR_SINK_NETNS="/var/run/netns/$NSC" CB_FLOOR_SINK_IP="$CLIENT_IP" \
    nice -n "$NICE" "$FLOOR_BIN" --benchmark_filter='SendmmsgFanout/32|FloorOpenssl|FloorAtScale' \
    --benchmark_min_time=1 --benchmark_format=json >"$OUT/floor-veth.json" \
    2>"$OUT/floor-veth.err" || log "FloorBench (veth) failed: $(tail -2 "$OUT/floor-veth.err")"
  # The publisher's paced schedule, for the floor's latency simulation (floorsim.py).
  "$LOAD_BIN" --media "$MEDIA" ${LOAD_EXTRA:-} --dump-schedule "$OUT/schedule.txt" ||
    log "cb-load --dump-schedule failed"
fi

declare -A FAILED=()
log "servers: $SERVERS; steps: $STEPS; window ${DURATION}s; results in $OUT"
# Steps interleave the servers (janus 100, classbridge 100, janus 250, ...) so that both see
# the same background load of this shared machine at about the same time.
for n in $STEPS; do
  for server in $SERVERS; do
    [ -z "${FAILED[$server]:-}" ] || continue
    if [ -n "$UNTIL" ] && [ "$(date +%s)" -ge "$UNTIL" ]; then
      log "time limit reached: $server N=$n not run"; FAILED[$server]="not run (time)"; continue
    fi
    dir="$OUT/$server-$n"; mkdir -p "$dir"
    log "$server: N=$n"
    if ! start_server "$server" "$dir"; then FAILED[$server]=start; continue; fi
    result="$OUT/results/$server-$n.json"
    join_timeout=$((30 + n / 50))
    # A hung server must not hang the ladder: bound the whole step.
    step_limit=$((2 * join_timeout + WARMUP + DURATION + 3 * n / JOIN_RATE + 120))
    if nsc timeout -k 10 "$step_limit" nice -n "$NICE" taskset -c "$LOAD_CPU" "$LOAD_BIN" "${SERVER_ARGS[@]}" --server-ip "$SERVER_IP" \
        --local-ip "$CLIENT_IP" --media "$MEDIA" -n "$n" --join-rate "$JOIN_RATE" \
        --join-timeout "$join_timeout" --warmup "$WARMUP" --duration "$DURATION" \
        --server-pid "$SERVER_PID" ${LOAD_EXTRA:-} -o "$result" >"$dir/load.out" 2>"$dir/load.err"; then
      if [ "$server" = classbridge-base ]; then  # cb-load knows it as "classbridge"
        jq '.server = "classbridge-base"' "$result" >"$result.tmp" && mv "$result.tmp" "$result"
      fi
      jq -c '{server,subscribers,connected,with_keyframe,loss_pct,latency_p50_ms,latency_p99_ms,
        server_cpu_pct,server_peak_rss_kib,load_cpu_pct,join_p50_ms}' "$result" >&2
      if ! holds "$result" "$n"; then
        log "$server does not hold N=$n"
        [ "$NOSTOP" = 1 ] || { log "$server: ladder stops"; FAILED[$server]=$n; }
      fi
    else
      log "$server: load client failed at N=$n: $(tail -3 "$dir/load.err")"
      FAILED[$server]=$n
    fi
    # The server's own counters (loop stall histograms, SRTP, batches) for attribution.
    case "$server" in classbridge*) cb_api GET /metrics "$CB_ADMIN_TOKEN" >"$dir/metrics.txt" 2>/dev/null || true ;; esac
    stop_pid "$SERVER_PID"; SERVER_PID=""
    sleep 1
  done
done

/usr/bin/python3 "$HARNESS/summarise.py" "$OUT" > "$OUT/fanout.md"
gnuplot -e "datafile='$OUT/fanout.dat'; outfile='$OUT/fanout.png'" "$HARNESS/fanout.gp"
if [ "$DOCS" = 1 ]; then
  /usr/bin/python3 "$HARNESS/summarise.py" --update-doc "$ROOT/docs/BENCHMARKS.md" "$OUT"
  mkdir -p "$ROOT/docs/img"; cp "$OUT/fanout.png" "$ROOT/docs/img/fanout.png"
  log "docs/BENCHMARKS.md and docs/img/fanout.png updated"
fi
cat "$OUT/fanout.md"
