// Starts a real `classbridge serve` on free ports in a fresh data dir, for e2e tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import dgram from 'node:dgram';

export const BINARY = process.env.CB_BINARY ?? join(process.cwd(), 'build/classbridge');
export const SOURCE_DIR = process.env.CB_SOURCE_DIR ?? process.cwd();
export const BINARY_DIR = process.env.CB_BINARY_DIR ?? join(process.cwd(), 'build');
export const ADMIN_PASSWORD = 'e2e-admin-password';

// A port free on TCP and UDP (all addresses) at the moment of asking. Chosen below the
// kernel's ephemeral range (32768+), so the sockets Chromium, ffmpeg and other tests open
// on kernel-chosen ports cannot take it between now and the server's bind.
export async function freePort() {
  const tcpFree = (port) => new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
  const udpFree = (port, type) => new Promise((resolve) => {
    const u = dgram.createSocket(type);
    u.once('error', () => resolve(false));
    u.bind(port, () => u.close(() => resolve(true)));
  });
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await tcpFree(port) && await udpFree(port, 'udp4') && await udpFree(port, 'udp6')) return port;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// opts.args: extra CLI args; opts.dataDir: reuse a data dir (restart tests);
// opts.httpHost: listen address (e.g. 0.0.0.0 for clients in a network namespace).
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cb-e2e-'));
  const httpPort = opts.httpPort ?? await freePort();
  const rtcPort = opts.rtcPort ?? await freePort();
  const rtmpPort = opts.rtmpPort ?? await freePort();
  const srtPort = opts.srtPort ?? await freePort();
  const args = [opts.command ?? 'serve', '--data', dataDir, '--http', `${opts.httpHost ?? '127.0.0.1'}:${httpPort}`,
    '--rtc-port', String(rtcPort), '--rtmp-port', String(rtmpPort), '--srt-port', String(srtPort),
    '--admin-password', ADMIN_PASSWORD, ...(opts.args ?? [])];
  const proc = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) } });
  let output = '';
  const keep = (d) => { output += d.toString(); if (output.length > 2e6) output = output.slice(-1e6); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`classbridge exited early (${proc.exitCode ?? proc.signalCode}):\n${output}`);
    }
    try { const r = await fetch(`${base}/healthz`); if (r.ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`classbridge did not become healthy:\n${output}`); }
    await sleep(100);
  }
  const server = {
    proc, base, dataDir, httpPort, rtcPort, rtmpPort, srtPort,
    get output() { return output; },
    async stop(signal = 'SIGTERM', timeoutMs = 15000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const r = await exited; clearTimeout(t); return r;
    },
    async cleanup() { await server.stop(); if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true }); },
    async api(method, path, { token, body, headers } = {}) {
      const h = { ...(headers ?? {}) };
      if (token) h.authorization = `Bearer ${token}`;
      if (body !== undefined && typeof body !== 'string') { h['content-type'] = 'application/json'; body = JSON.stringify(body); }
      const r = await fetch(base + path, { method, headers: h, body });
      const text = await r.text();
      let json; try { json = JSON.parse(text); } catch { json = undefined; }
      return { status: r.status, headers: r.headers, text, json };
    },
    async login(username, password) {
      const r = await server.api('POST', '/api/v1/login', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
      return r.json.token;
    },
    adminToken() { return server.login('admin', ADMIN_PASSWORD); },
  };
  return server;
}

// A minimal world for media tests: a school, a recording and an interactive classroom,
// a teacher, a classroom user, and a live lesson. Returns ids and tokens.
export async function makeLiveLesson(server, { record = false, mode = 'dedicated' } = {}) {
  const admin = await server.adminToken();
  const ok = (r) => { if (r.status >= 300) throw new Error(`${r.status} ${r.text}`); return r.json; };
  const sfx = Math.random().toString(36).slice(2, 8);
  const school = ok(await server.api('POST', '/api/v1/schools', { token: admin, body: { name: `School ${sfx}` } }));
  const rec = ok(await server.api('POST', '/api/v1/classrooms', { token: admin, body: { school_id: school.id, name: `Rec ${sfx}`, kind: 'recording' } }));
  const room = ok(await server.api('POST', '/api/v1/classrooms', { token: admin, body: { school_id: school.id, name: `Room ${sfx}`, kind: 'interactive' } }));
  const pw = 'pass-' + sfx + '-long';
  const teacher = ok(await server.api('POST', '/api/v1/users', { token: admin, body: { username: `t-${sfx}`, password: pw, role: 'teacher' } }));
  const cls = ok(await server.api('POST', '/api/v1/users', { token: admin, body: { username: `c-${sfx}`, password: pw, role: 'classroom', classroom_id: room.id } }));
  const now = Date.now();
  const lesson = ok(await server.api('POST', '/api/v1/lessons', { token: admin, body: {
    title: `Lesson ${sfx}`, mode, subject: 'music', grade: '5', teacher_id: teacher.id,
    host_classroom_id: rec.id, member_classroom_ids: [room.id],
    starts_at: new Date(now - 60000).toISOString(), ends_at: new Date(now + 3600000).toISOString(), record } }));
  // The scheduler may already have started it (starts_at is in the past): that is fine too.
  const started = await server.api('POST', `/api/v1/lessons/${lesson.id}/start`, { token: admin });
  if (!(started.status === 409 && started.json?.error?.code === 'lesson_live')) ok(started);
  return { admin, school, rec, room, teacher, cls, lesson,
    teacherToken: await server.login(`t-${sfx}`, pw), classroomToken: await server.login(`c-${sfx}`, pw) };
}
