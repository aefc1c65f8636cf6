# Functions shared by the fan-out harness scripts (sourced, not run).
# Everything runs inside one network namespace that this harness creates and deletes:
# Janus does not gather candidates on loopback, so the servers get a veth address.

# Two namespaces joined by a veth pair: servers in $NS (10.77.0.1), the load client in $NSC
# (10.77.0.2). Janus binds its ICE socket to the veth device, so both ends in one namespace
# would make its packets martians; two namespaces also make the path a real link.
NS=${NS:-cbbenchS$$}
NSC=${NSC:-cbbenchC$$}
VETH_A=cbA$$ VETH_B=cbB$$
# Addresses exist only inside our own namespaces (no route out of them).
SERVER_IP=${SERVER_IP:-10.77.0.1}
CLIENT_IP=${CLIENT_IP:-10.77.0.2}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

log() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }
nsx() { ip netns exec "$NS" "$@"; }
nsc() { ip netns exec "$NSC" "$@"; }

ns_up() {
  ip netns add "$NS"
  ip netns add "$NSC"
  nsx ip link set lo up
  nsc ip link set lo up
  ip link add "$VETH_A" netns "$NS" type veth peer name "$VETH_B" netns "$NSC"
  nsx ip addr add "$SERVER_IP/24" dev "$VETH_A"
  nsc ip addr add "$CLIENT_IP/24" dev "$VETH_B"
  nsx ip link set "$VETH_A" up
  nsc ip link set "$VETH_B" up
  log "namespaces $NS (server $SERVER_IP) and $NSC (load client $CLIENT_IP)"
}

ns_down() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$NSC" 2>/dev/null || true
}

# Sets variable $1 to a port free inside the namespace (TCP and UDP), from a per-run range
# (each server start takes new ones, so no TIME_WAIT of the previous step is in the way).
NEXT_PORT=${NEXT_PORT:-21000}
ns_port() {
  local -n _out=$1
  while :; do
    _out=$NEXT_PORT; NEXT_PORT=$((NEXT_PORT + 1))
    nsx ss -Hatun "sport = :$_out" | grep -q . || return 0
  done
}

wait_http() {  # url timeout_s
  local url=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    nsc curl -sf -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.3
  done
  return 1
}

# Stops a process we started, by PID: TERM, then KILL after 10 s.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# ---- Janus: own config dir with only the HTTP transport and the streaming plugin ----
# Sets JANUS_PID JANUS_BASE JANUS_VIDEO_PORT JANUS_AUDIO_PORT.
janus_start() {
  local dir=$1
  mkdir -p "$dir/plugins" "$dir/transports" "$dir/events" "$dir/loggers"
  local lib=/usr/lib/x86_64-linux-gnu/janus
  ln -sf "$lib/plugins/libjanus_streaming.so" "$dir/plugins/"
  ln -sf "$lib/transports/libjanus_http.so" "$dir/transports/"
  local http_port
  ns_port http_port; ns_port JANUS_VIDEO_PORT; ns_port JANUS_AUDIO_PORT
  cat > "$dir/janus.jcfg" <<JCFG
general: {
  configs_folder = "$dir"
  plugins_folder = "$dir/plugins"
  transports_folder = "$dir/transports"
  events_folder = "$dir/events"
  loggers_folder = "$dir/loggers"
  debug_level = ${JANUS_DEBUG:-3}
  admin_secret = "bench"
  # One event loop for all handles: the server gets one core, like ClassBridge's one worker.
  event_loops = 1
  session_timeout = 0
}
certificates: {
}
media: {
  rtp_port_range = "30000-60000"
  no_media_timer = 0
}
nat: {
  nice_debug = ${JANUS_NICE_DEBUG:-false}
  full_trickle = false
  ignore_mdns = true
  ice_enforce_list = "$VETH_A"
}
plugins: {
}
transports: {
}
events: {
  broadcast = false
}
loggers: {
}
JCFG
  cat > "$dir/janus.transport.http.jcfg" <<JCFG
general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = $http_port
  ip = "$SERVER_IP"
  https = false
}
admin: {
  admin_http = false
}
cors: {
}
JCFG
  cat > "$dir/janus.plugin.streaming.jcfg" <<JCFG
general: {
}
bench: {
  type = "rtp"
  id = 1
  description = "ClassBridge fan-out benchmark"
  audio = true
  video = true
  audioport = $JANUS_AUDIO_PORT
  audiopt = 111
  audiocodec = "opus"
  videoport = $JANUS_VIDEO_PORT
  videopt = 96
  videocodec = "h264"
  videofmtp = "profile-level-id=42e01f;packetization-mode=1"
  secret = "bench"
}
JCFG
  # Started directly (not through a shell function) so that $! is the server's own PID.
  ip netns exec "$NS" nice -n "${NICE:-0}" taskset -c "$SERVER_CPU" janus -C "$dir/janus.jcfg" -F "$dir" -o >"$dir/janus.log" 2>&1 &
  JANUS_PID=$!
  JANUS_BASE="http://$SERVER_IP:$http_port"
  if ! wait_http "$JANUS_BASE/janus/info" 30; then
    log "janus did not start; log:"; tail -30 "$dir/janus.log" >&2; return 1
  fi
}

# ---- ClassBridge: a fresh data dir, a live lesson, a teacher and a member classroom ----
# Sets CB_PID CB_BASE CB_LESSON CB_TEACHER_TOKEN CB_CLASSROOM_TOKEN.
cb_start() {
  local dir=$1 bin=$2
  local http_port rtc_port rtmp_port srt_port
  ns_port http_port; ns_port rtc_port; ns_port rtmp_port; ns_port srt_port
  mkdir -p "$dir/data"
  ip netns exec "$NS" nice -n "${NICE:-0}" taskset -c "$SERVER_CPU" "$bin" serve --data "$dir/data" --http "$SERVER_IP:$http_port" \
    --rtc-port "$rtc_port" --rtmp-port "$rtmp_port" --srt-port "$srt_port" \
    --admin-password bench-admin-password >"$dir/classbridge.log" 2>&1 &
  CB_PID=$!
  CB_BASE="http://$SERVER_IP:$http_port"
  if ! wait_http "$CB_BASE/healthz" 30; then
    log "classbridge did not start; log:"; tail -30 "$dir/classbridge.log" >&2; return 1
  fi
  cb_make_lesson
}

cb_api() {  # method path token [json]
  local args=(-sS --max-time 10 -X "$1" "$CB_BASE$2" -H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' -d "$4")
  nsc curl "${args[@]}"
}

cb_login() {
  nsc curl -sS --max-time 10 -X POST "$CB_BASE/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | jq -er .token
}

cb_make_lesson() {
  local admin school rec room teacher now pw=bench-password-long
  admin=$(cb_login admin bench-admin-password)
  CB_ADMIN_TOKEN=$admin  # for the /metrics dump at the end of a step
  school=$(cb_api POST /api/v1/schools "$admin" '{"name":"Bench School"}' | jq -er .id)
  rec=$(cb_api POST /api/v1/classrooms "$admin" "{\"school_id\":$(jq -n --arg s "$school" '$s|tonumber? // $s'),\"name\":\"Rec\",\"kind\":\"recording\"}" | jq -er .id)
  room=$(cb_api POST /api/v1/classrooms "$admin" "{\"school_id\":$(jq -n --arg s "$school" '$s|tonumber? // $s'),\"name\":\"Room\",\"kind\":\"interactive\"}" | jq -er .id)
  teacher=$(cb_api POST /api/v1/users "$admin" "{\"username\":\"bench-t\",\"password\":\"$pw\",\"role\":\"teacher\"}" | jq -er .id)
  cb_api POST /api/v1/users "$admin" "{\"username\":\"bench-c\",\"password\":\"$pw\",\"role\":\"classroom\",\"classroom_id\":$(jq -n --arg s "$room" '$s|tonumber? // $s')}" >/dev/null
  local starts ends
  starts=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ); ends=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
  CB_LESSON=$(cb_api POST /api/v1/lessons "$admin" "$(jq -nc --arg t "$teacher" --arg h "$rec" --arg r "$room" \
    --arg s "$starts" --arg e "$ends" '{title:"Bench lesson",mode:"famous_school",subject:"math",grade:"5",
      teacher_id:($t|tonumber? // $t),host_classroom_id:($h|tonumber? // $h),member_classroom_ids:[($r|tonumber? // $r)],
      starts_at:$s,ends_at:$e,record:false}')" | jq -er .id)
  cb_api POST "/api/v1/lessons/$CB_LESSON/start" "$admin" >/dev/null
  CB_TEACHER_TOKEN=$(cb_login bench-t "$pw")
  CB_CLASSROOM_TOKEN=$(cb_login bench-c "$pw")
}
