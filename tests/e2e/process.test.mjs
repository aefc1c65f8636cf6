// The process: data survives a clean stop and a start, a SIGKILL in the middle of a
// burst of writes leaves a database that opens and passes PRAGMA integrity_check, the
// token CLI works with the server running or not, and `classbridge demo` is idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, BINARY } from './lib/server.mjs';

const run = promisify(execFile);
const ok = (r, status = 200) => {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  return r.json;
};
const freshDir = () => mkdtempSync(join(tmpdir(), 'cb-process-'));

test('data survives SIGTERM and a restart; token CLI with and without the server', { timeout: 180000 }, async () => {
  const dataDir = freshDir();
  try {
    let server = await startServer({ dataDir, startTimeoutMs: 60000 });
    const admin = await server.adminToken();
    const school = ok(await server.api('POST', '/api/v1/schools', { token: admin, body: { name: 'Persistent School' } }), 201);
    assert.equal(statSync(join(dataDir, 'server.key')).mode & 0o777, 0o600);

    // token CLI while the server runs
    const { stdout: live } = await run(BINARY, ['token', '--data', dataDir, '--user', 'admin', '--ttl', '600']);
    const cliToken = live.trim();
    assert.match(cliToken, /^cb1\./);
    assert.equal(ok(await server.api('GET', `/api/v1/schools/${school.id}`, { token: cliToken })).name, 'Persistent School');
    // a role that is not the user's is refused, as is an unknown user
    await assert.rejects(run(BINARY, ['token', '--data', dataDir, '--user', 'admin', '--role', 'viewer']));
    await assert.rejects(run(BINARY, ['token', '--data', dataDir, '--user', 'nobody']));

    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.output);

    // token CLI with the server stopped
    const { stdout: offline } = await run(BINARY, ['token', '--data', dataDir, '--user', 'admin', '--role', 'admin']);
    server = await startServer({ dataDir, startTimeoutMs: 60000 });
    // same key: tokens issued before the restart and offline both work
    assert.equal(ok(await server.api('GET', `/api/v1/schools/${school.id}`, { token: admin })).name, 'Persistent School');
    ok(await server.api('GET', '/api/v1/me', { token: offline.trim() }));
    ok(await server.api('GET', '/api/v1/me', { token: cliToken }));
    assert.ok(!server.output.includes('password:'), 'the admin password is printed only on first start');
    const exit2 = await server.stop('SIGINT');
    assert.deepEqual(exit2, { code: 0, signal: null }, server.output);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('SIGKILL during a burst of writes leaves a sound database', { timeout: 240000 }, async () => {
  const dataDir = freshDir();
  try {
    let server = await startServer({ dataDir, startTimeoutMs: 60000 });
    const admin = await server.adminToken();
    const created = [];
    let stop = false;
    // Eight writers create schools and classrooms as fast as the server accepts them.
    const writer = async (n) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await server.api('POST', '/api/v1/schools', { token: admin, body: { name: `Burst ${n}-${i}` } });
          if (r.status === 201) {
            created.push(r.json.id);
            await server.api('POST', '/api/v1/classrooms', { token: admin, body: { school_id: r.json.id, name: 'Room', kind: 'interactive' } });
          }
        } catch { return; }  // the server died under us
      }
    };
    const writers = Array.from({ length: 8 }, (_, n) => writer(n));
    const deadline = Date.now() + 60000;
    while (created.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(created.length >= 40, `only ${created.length} writes acknowledged`);
    const exit = await server.stop('SIGKILL');
    stop = true;
    await Promise.all(writers);
    assert.equal(exit.signal, 'SIGKILL');

    const db = join(dataDir, 'classbridge.db');
    const { stdout: check } = await run('sqlite3', [db, 'PRAGMA integrity_check;']);
    assert.equal(check.trim(), 'ok');
    const { stdout: fk } = await run('sqlite3', [db, 'PRAGMA foreign_key_check;']);
    assert.equal(fk.trim(), '');

    server = await startServer({ dataDir, startTimeoutMs: 60000 });
    const schools = ok(await server.api('GET', '/api/v1/schools', { token: admin }));
    const ids = new Set(schools.map((s) => s.id));
    // every write the server acknowledged before the kill is there
    for (const id of created) assert.ok(ids.has(id), `school ${id} acknowledged but lost`);
    const { stdout: again } = await run('sqlite3', [db, 'PRAGMA integrity_check;']);
    assert.equal(again.trim(), 'ok');
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('classbridge demo: idempotent, its lesson is live, SIGTERM exits 0', { timeout: 240000 }, async () => {
  const dataDir = freshDir();
  try {
    const counts = async (server, token) => {
      const get = async (p) => ok(await server.api('GET', p, { token })).length;
      return { schools: await get('/api/v1/schools'), classrooms: await get('/api/v1/classrooms'), users: await get('/api/v1/users') };
    };
    let server = await startServer({ command: 'demo', dataDir, startTimeoutMs: 90000 });
    assert.match(server.output, /ClassBridge listening on http:\/\/127\.0\.0\.1:\d+/);
    let admin = await server.adminToken();
    const first = await counts(server, admin);
    assert.equal(first.schools, 2);
    assert.equal(first.classrooms, 3);
    assert.ok(first.users >= 6, JSON.stringify(first));
    const rooms = ok(await server.api('GET', '/api/v1/classrooms', { token: admin }));
    assert.equal(rooms.filter((r) => r.kind === 'recording').length, 1);
    assert.equal(rooms.filter((r) => r.kind === 'interactive').length, 2);
    const live = ok(await server.api('GET', '/api/v1/lessons?status=live', { token: admin }));
    assert.equal(live.length, 1);
    const lesson = live[0];
    assert.ok(Date.parse(lesson.ends_at) - Date.now() > 7 * 3600e3);
    // the printed logins work
    for (const u of ['teacher', 'staff', 'classroom-a', 'classroom-b']) await server.login(u, 'classbridge-demo');
    const roomA = await server.login('classroom-a', 'classbridge-demo');
    ok(await server.api('GET', `/api/v1/lessons/${lesson.id}`, { token: roomA }));
    // a clean stop finalises the demo lesson's recording, which may take a while on a loaded machine
    assert.deepEqual(await server.stop('SIGTERM', 120000), { code: 0, signal: null }, server.output);

    server = await startServer({ command: 'demo', dataDir, startTimeoutMs: 90000 });
    admin = await server.adminToken();
    assert.deepEqual(await counts(server, admin), first);
    const live2 = ok(await server.api('GET', '/api/v1/lessons?status=live', { token: admin }));
    assert.deepEqual(live2.map((l) => l.id), [lesson.id]);
    // a clean stop finalises the demo lesson's recording, which may take a while on a loaded machine
    assert.deepEqual(await server.stop('SIGTERM', 120000), { code: 0, signal: null }, server.output);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
