// The lesson room socket (WebSocket /ws/lessons/{id}) with real clients: Chromium's
// WebSocket for the teacher and a member classroom; node's HTTP client for the refused
// upgrades (to read their status codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, makeLiveLesson } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';

// Status of a WebSocket upgrade attempt: 101 when accepted, else the HTTP error status.
function upgradeStatus(server, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.httpPort, path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64') },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(101); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('room socket: presence, chat, hands, refusals, lesson end', { timeout: 120000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => { await browser.close(); await server.cleanup(); });
  const L = await makeLiveLesson(server);
  const path = `/ws/lessons/${L.lesson.id}`;

  // Refused before the upgrade, with the API's statuses.
  assert.equal(await upgradeStatus(server, path), 401, 'no token');
  assert.equal(await upgradeStatus(server, `${path}?token=garbage`), 401, 'bad token');
  assert.equal(await upgradeStatus(server, `/ws/lessons/999999?token=${L.admin}`), 404, 'unknown lesson');
  assert.equal(await upgradeStatus(server, `/ws/lessons/abc?token=${L.admin}`), 400, 'bad id');
  const other = await makeLiveLesson(server);  // another school's classroom
  assert.equal(await upgradeStatus(server, `${path}?token=${other.classroomToken}`), 403, 'not a member');
  assert.equal(await upgradeStatus(server, `${path}?token=${L.classroomToken}`), 101, 'member');

  const page = await browser.newPage();
  await page.goto(server.base + '/');
  const wsBase = server.base.replace('http', 'ws') + path;
  await page.evaluate(([url, teacher, room]) => {
    window.logs = { teacher: [], room: [] };
    window.wsClosed = {};
    window.sockets = {};
    for (const [name, token] of [['teacher', teacher], ['room', room]]) {
      const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
      ws.onmessage = (e) => window.logs[name].push(JSON.parse(e.data));
      ws.onclose = () => { window.wsClosed[name] = true; };
      window.sockets[name] = ws;
    }
  }, [wsBase, L.teacherToken, L.classroomToken]);
  const logs = () => page.evaluate(() => window.logs);

  await waitFor('both welcomed and the classroom seen by the teacher', async () => {
    const l = await logs();
    return l.teacher.some((m) => m.type === 'welcome') && l.room.some((m) => m.type === 'welcome') &&
      l.teacher.some((m) => m.type === 'presence' && m.event === 'join' && m.role === 'classroom');
  });
  const welcome = (await logs()).room.find((m) => m.type === 'welcome');
  assert.equal(welcome.status, 'live');
  assert.equal(welcome.participants.length, 2, 'the second to join sees both');

  const metrics = await server.api('GET', '/metrics', { token: L.admin });
  assert.match(metrics.text, /^cb_room_members 2$/m);

  // Chat (with Chinese text) and a raised hand reach everyone in the room.
  await page.evaluate(() => {
    window.sockets.room.send(JSON.stringify({ type: 'chat', text: '老师，我有问题' }));
    window.sockets.room.send(JSON.stringify({ type: 'hand', raised: true }));
    window.sockets.room.send('not json');
    window.sockets.room.send(JSON.stringify({ type: 'chat', text: '长'.repeat(501) }));
    window.sockets.room.send(JSON.stringify({ type: 'dance' }));
  });
  await waitFor('chat and hand at the teacher, three errors at the classroom', async () => {
    const l = await logs();
    return l.teacher.some((m) => m.type === 'chat' && m.text === '老师，我有问题') &&
      l.teacher.some((m) => m.type === 'hand' && m.raised === true) &&
      l.room.filter((m) => m.type === 'error').length === 3;
  });
  const l = await logs();
  assert.deepEqual(l.room.filter((m) => m.type === 'error').map((m) => m.code),
    ['bad_message', 'too_long', 'unknown_type']);
  assert.ok(!l.teacher.some((m) => m.type === 'chat' && m.text.length > 500), 'an over-long chat is not relayed');

  // The classroom leaves: the teacher is told.
  await page.evaluate(() => window.sockets.room.close());
  await waitFor('leave at the teacher', async () =>
    (await logs()).teacher.some((m) => m.type === 'presence' && m.event === 'leave'));

  // Ending the lesson tells the room and closes it.
  const end = await server.api('POST', `/api/v1/lessons/${L.lesson.id}/end`, { token: L.admin });
  assert.equal(end.status, 200, end.text);
  await waitFor('lesson ended at the teacher, socket closed', async () => {
    const ok = (await logs()).teacher.some((m) => m.type === 'lesson' && m.status === 'ended');
    return ok && await page.evaluate(() => window.wsClosed.teacher === true);
  });
  assert.equal(await upgradeStatus(server, `${path}?token=${L.teacherToken}`), 409, 'ended lesson');
});
