// The REST API against a real `classbridge serve` on loopback, with node's fetch as the
// HTTP client: every endpoint's happy path, 401/403 per role, and a batch of malformed
// or hostile requests that must each get the right 4xx and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, sleep } from './lib/server.mjs';

let server;
let admin;
const w = {};  // the world the tests share: ids and tokens

const ok = (r, status = 200) => {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  return r.json;
};
const iso = (ms) => new Date(ms).toISOString();

before(async () => {
  server = await startServer({ startTimeoutMs: 60000 });
  admin = await server.adminToken();
});
after(async () => { if (server) await server.cleanup(); });

test('health, login and the signed-in user', async () => {
  const h = await server.api('GET', '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: 'ok' });
  const login = await server.api('POST', '/api/v1/login', { body: { username: 'admin', password: 'e2e-admin-password' } });
  const body = ok(login);
  assert.equal(body.role, 'admin');
  assert.match(body.token, /^cb1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const me = ok(await server.api('GET', '/api/v1/me', { token: body.token }));
  assert.equal(me.username, 'admin');
  assert.equal(me.password_hash, undefined);
  // the token also works as a query parameter (for <video src>, RTMP, SRT)
  ok(await server.api('GET', `/api/v1/me?token=${encodeURIComponent(body.token)}`));
  // logins hash on the HTTP server's work pool: many at once all get their answer, wrong
  // passwords and unknown users the same 401, and the loop keeps serving meanwhile
  const attempt = (username, password) => server.api('POST', '/api/v1/login', { body: { username, password } });
  const [health, ...logins] = await Promise.all([
    server.api('GET', '/healthz'),
    ...Array.from({ length: 6 }, () => attempt('admin', 'e2e-admin-password')),
    attempt('admin', 'wrong-password'), attempt('nobody-here', 'wrong-password'),
  ]);
  assert.equal(health.status, 200);
  assert.deepEqual(logins.map((r) => r.status), [200, 200, 200, 200, 200, 200, 401, 401]);
  assert.equal(logins[6].json.error.message, logins[7].json.error.message);
  for (const r of logins.slice(0, 6)) ok(await server.api('GET', '/api/v1/me', { token: r.json.token }));
});

test('catalog: schools, classrooms, users (happy paths)', async () => {
  const sqlName = "Robert'); DROP TABLE schools;-- 学校";
  w.school = ok(await server.api('POST', '/api/v1/schools', { token: admin, body: { name: sqlName, region: 'Hunan' } }), 201);
  assert.equal(w.school.name, sqlName);  // stored literally
  w.school2 = ok(await server.api('POST', '/api/v1/schools', { token: admin, body: { name: 'Rural School' } }), 201);
  const schools = ok(await server.api('GET', '/api/v1/schools', { token: admin }));
  assert.ok(schools.some((s) => s.id === w.school.id && s.name === sqlName));
  const patched = ok(await server.api('PATCH', `/api/v1/schools/${w.school2.id}`, { token: admin, body: { region: 'Xiangxi' } }));
  assert.equal(patched.region, 'Xiangxi');
  assert.equal(patched.name, 'Rural School');
  assert.equal(ok(await server.api('GET', `/api/v1/schools/${w.school2.id}`, { token: admin })).region, 'Xiangxi');

  const room = (school_id, name, kind) => server.api('POST', '/api/v1/classrooms', { token: admin, body: { school_id, name, kind } });
  w.rec = ok(await room(w.school.id, 'Recording 1', 'recording'), 201);
  w.roomA = ok(await room(w.school2.id, 'Room A', 'interactive'), 201);
  w.roomB = ok(await room(w.school2.id, 'Room B', 'interactive'), 201);
  w.roomC = ok(await room(w.school2.id, 'Room C', 'interactive'), 201);
  assert.equal(w.rec.kind, 'recording');
  const inSchool2 = ok(await server.api('GET', `/api/v1/classrooms?school_id=${w.school2.id}`, { token: admin }));
  assert.deepEqual(inSchool2.map((c) => c.name).sort(), ['Room A', 'Room B', 'Room C']);
  const renamed = ok(await server.api('PATCH', `/api/v1/classrooms/${w.roomC.id}`, { token: admin, body: { name: 'Room C2' } }));
  assert.equal(renamed.name, 'Room C2');
  ok(await server.api('GET', `/api/v1/classrooms/${w.roomC.id}`, { token: admin }));

  const pw = 'a-long-password';
  const user = (username, role, classroom_id) => server.api('POST', '/api/v1/users', {
    token: admin, body: { username, password: pw, role, ...(classroom_id ? { classroom_id } : {}) } });
  w.teacher = ok(await user('teacher1', 'teacher'), 201);
  w.teacher2 = ok(await user('teacher2', 'teacher'), 201);
  w.clsA = ok(await user('class-a', 'classroom', w.roomA.id), 201);
  w.clsC = ok(await user('class-c', 'classroom', w.roomC.id), 201);
  w.host = ok(await user('class-rec', 'classroom', w.rec.id), 201);
  w.staff = ok(await user('staff1', 'staff'), 201);
  w.viewer = ok(await user('viewer1', 'viewer'), 201);
  assert.equal(w.clsA.classroom_id, w.roomA.id);
  for (const u of [w.teacher, w.clsA]) assert.equal(u.password_hash, undefined);
  const users = ok(await server.api('GET', '/api/v1/users', { token: admin }));
  assert.ok(users.length >= 8);
  assert.ok(users.every((u) => u.password === undefined && u.password_hash === undefined));
  assert.equal(ok(await server.api('GET', `/api/v1/users?role=teacher`, { token: admin })).length, 2);

  [w.tTeacher, w.tTeacher2, w.tClsA, w.tClsC, w.tHost, w.tStaff, w.tViewer] = await Promise.all(
    ['teacher1', 'teacher2', 'class-a', 'class-c', 'class-rec', 'staff1', 'viewer1'].map((u) => server.login(u, pw)));
  // a user may read and change itself (display name, password) but not its role
  ok(await server.api('GET', `/api/v1/users/${w.teacher.id}`, { token: w.tTeacher }));
  const renamedUser = ok(await server.api('PATCH', `/api/v1/users/${w.teacher.id}`, { token: w.tTeacher, body: { display_name: 'Ms. Li' } }));
  assert.equal(renamedUser.display_name, 'Ms. Li');
  assert.equal((await server.api('PATCH', `/api/v1/users/${w.teacher.id}`, { token: w.tTeacher, body: { role: 'admin' } })).status, 403);

  // delete: a throwaway school/classroom/user
  const tmpSchool = ok(await server.api('POST', '/api/v1/schools', { token: admin, body: { name: 'Temporary' } }), 201);
  const tmpRoom = ok(await room(tmpSchool.id, 'Tmp', 'interactive'), 201);
  const tmpUser = ok(await user('tmp-user', 'viewer'), 201);
  assert.equal((await server.api('DELETE', `/api/v1/schools/${tmpSchool.id}`, { token: admin })).status, 409);  // has a classroom
  assert.equal((await server.api('DELETE', `/api/v1/classrooms/${tmpRoom.id}`, { token: admin })).status, 204);
  assert.equal((await server.api('DELETE', `/api/v1/schools/${tmpSchool.id}`, { token: admin })).status, 204);
  assert.equal((await server.api('DELETE', `/api/v1/users/${tmpUser.id}`, { token: admin })).status, 204);
  assert.equal((await server.api('GET', `/api/v1/schools/${tmpSchool.id}`, { token: admin })).status, 404);
});

test('lessons: create, list by role, change, start, end, delete', async () => {
  const now = Date.now();
  const body = {
    title: 'Music for grade 5', mode: 'dedicated', subject: 'music', grade: '5', teacher_id: w.teacher.id,
    host_classroom_id: w.rec.id, member_classroom_ids: [w.roomA.id, w.roomB.id],
    starts_at: iso(now + 3600e3), ends_at: iso(now + 2 * 3600e3),
  };
  w.lesson = ok(await server.api('POST', '/api/v1/lessons', { token: admin, body }), 201);
  assert.equal(w.lesson.status, 'scheduled');
  assert.equal(w.lesson.record, true);  // default
  assert.deepEqual(w.lesson.member_classroom_ids, [w.roomA.id, w.roomB.id]);
  // a teacher creates its own lesson (teacher_id defaults to itself)
  w.lesson2 = ok(await server.api('POST', '/api/v1/lessons', { token: w.tTeacher2, body: {
    title: 'English', mode: 'famous_school', subject: 'english', grade: '6', host_classroom_id: w.roomC.id,
    member_classroom_ids: [], starts_at: iso(now + 3600e3), ends_at: iso(now + 2 * 3600e3), record: false } }), 201);
  assert.equal(w.lesson2.teacher_id, w.teacher2.id);
  assert.equal(w.lesson2.record, false);

  const ids = async (token) => ok(await server.api('GET', '/api/v1/lessons', { token })).map((l) => l.id).sort();
  assert.deepEqual(await ids(admin), [w.lesson.id, w.lesson2.id].sort());
  assert.deepEqual(await ids(w.tStaff), [w.lesson.id, w.lesson2.id].sort());
  assert.deepEqual(await ids(w.tTeacher), [w.lesson.id]);
  assert.deepEqual(await ids(w.tTeacher2), [w.lesson2.id]);
  assert.deepEqual(await ids(w.tClsA), [w.lesson.id]);
  assert.deepEqual(await ids(w.tHost), [w.lesson.id]);
  assert.deepEqual(await ids(w.tClsC), [w.lesson2.id]);
  ok(await server.api('GET', `/api/v1/lessons/${w.lesson.id}`, { token: w.tClsA }));

  const patched = ok(await server.api('PATCH', `/api/v1/lessons/${w.lesson.id}`, { token: w.tTeacher, body: { title: 'Music: rhythm', member_classroom_ids: [w.roomA.id] } }));
  assert.equal(patched.title, 'Music: rhythm');
  assert.deepEqual(patched.member_classroom_ids, [w.roomA.id]);
  assert.equal(patched.starts_at, new Date(body.starts_at).toISOString().replace(/\.\d+Z$/, 'Z'));

  const started = ok(await server.api('POST', `/api/v1/lessons/${w.lesson.id}/start`, { token: w.tHost }));
  assert.equal(started.status, 'live');
  assert.ok(started.started_at);
  assert.equal((await server.api('DELETE', `/api/v1/lessons/${w.lesson.id}`, { token: admin })).status, 409);
  assert.equal(ok(await server.api('GET', '/api/v1/lessons?status=live', { token: admin })).length, 1);
  const ended = ok(await server.api('POST', `/api/v1/lessons/${w.lesson.id}/end`, { token: w.tTeacher }));
  assert.equal(ended.status, 'ended');

  const tmp = ok(await server.api('POST', '/api/v1/lessons', { token: admin, body: { ...body, teacher_id: w.teacher.id,
    starts_at: iso(now + 10 * 3600e3), ends_at: iso(now + 11 * 3600e3) } }), 201);
  assert.equal((await server.api('DELETE', `/api/v1/lessons/${tmp.id}`, { token: w.tTeacher })).status, 204);
  assert.equal((await server.api('GET', `/api/v1/lessons/${tmp.id}`, { token: admin })).status, 404);
});

test('the scheduler starts and ends a lesson on its own', async () => {
  const now = Date.now();
  const l = ok(await server.api('POST', '/api/v1/lessons', { token: admin, body: {
    title: 'Auto', mode: 'famous_teacher', subject: 'art', grade: '3', teacher_id: w.teacher.id,
    host_classroom_id: w.rec.id, member_classroom_ids: [w.roomB.id],
    starts_at: iso(now + 3000), ends_at: iso(now + 15000) } }), 201);
  const waitFor = async (status) => {
    const deadline = Date.now() + 45000;
    for (;;) {
      const cur = ok(await server.api('GET', `/api/v1/lessons/${l.id}`, { token: admin }));
      if (cur.status === status) return cur;
      assert.ok(Date.now() < deadline, `lesson never became ${status} (is ${cur.status})`);
      await sleep(250);
    }
  };
  const live = await waitFor('live');
  assert.ok(Date.parse(live.started_at) >= Date.parse(l.starts_at) - 1000);
  const ended = await waitFor('ended');
  assert.ok(Date.parse(ended.ended_at) >= Date.parse(l.ends_at) - 1000);
  w.autoLesson = l;
});

test('stats, audit log and metrics', async () => {
  const stats = ok(await server.api('GET', '/api/v1/stats/lessons?by=subject', { token: w.tStaff }));
  const bySubject = Object.fromEntries(stats.rows.map((r) => [r.key, r]));
  assert.equal(bySubject.music.scheduled, 1);
  assert.equal(bySubject.music.held, 1);
  assert.equal(bySubject.music.opening_rate, 1);
  assert.equal(bySubject.music.class_hours, 1);
  assert.equal(bySubject.english.scheduled, 1);
  assert.equal(bySubject.english.held, 0);
  assert.equal(bySubject.english.opening_rate, 0);
  assert.equal(bySubject.art.held, 1);
  assert.equal(stats.total.scheduled, 3);
  assert.equal(stats.total.held, 2);
  const bySchool = ok(await server.api('GET', '/api/v1/stats/lessons?by=school', { token: admin }));
  assert.ok(bySchool.rows.some((r) => r.key.startsWith("Robert'); DROP")));
  const byWeek = ok(await server.api('GET', '/api/v1/stats/lessons?by=week', { token: admin }));
  assert.ok(byWeek.rows.every((r) => /^\d{4}-W\d{2}$/.test(r.key)));
  const csv = await server.api('GET', '/api/v1/stats/lessons?by=mode', { token: admin, headers: { accept: 'text/csv' } });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.text.trim().split(/\r?\n/);
  assert.equal(lines[0], 'mode,scheduled,held,opening_rate,class_hours');
  assert.ok(lines.includes('"dedicated",1,1,1.00,1.00'), csv.text);
  const empty = ok(await server.api('GET', '/api/v1/stats/lessons?from=2001-01-01&to=2001-02-01', { token: admin }));
  assert.equal(empty.total.scheduled, 0);

  const audit = ok(await server.api('GET', '/api/v1/audit?limit=500', { token: admin }));
  const has = (action, entity, id) => audit.some((a) => a.action === action && a.entity === entity && a.entity_id === id);
  assert.ok(has('create', 'school', w.school.id));
  assert.ok(has('update', 'school', w.school2.id));
  assert.ok(has('create', 'lesson', w.lesson.id));
  assert.ok(has('start', 'lesson', w.lesson.id));
  assert.ok(has('end', 'lesson', w.lesson.id));
  assert.ok(audit.some((a) => a.action === 'start' && a.entity_id === w.autoLesson.id && a.username === 'system'));
  assert.ok(audit.every((a) => !JSON.stringify(a.detail ?? {}).includes('a-long-password')));

  const m = await server.api('GET', '/metrics', { token: admin });
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type'), /text\/plain/);
  assert.match(m.text, /^cb_lessons_live \d+$/m);
  assert.match(m.text, /cb_http_requests_total\{method="POST",route="\/api\/v1\/schools",status="201"\} \d+/);
  assert.ok(m.text.includes('cb_http_requests_total{method="GET",route="/api/v1/schools/{id}",status="404"} 1'), 'a 404 is counted');
  // A scraper rejects a page that declares a family twice.
  const families = m.text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  assert.deepEqual(families.filter((f, i) => families.indexOf(f) !== i), [], 'each metric family declared once');
  assert.match(m.text, /^cb_rtc_sessions(\{[^}]*\})? \d+$/m, 'media counters are on the page');
});

test('401 without or with a bad token, 403 for the wrong role', async () => {
  const lessonId = w.lesson2.id;  // teacher2's, in room C only
  const cases = [
    // [token, method, path, body, status]
    [null, 'GET', '/api/v1/schools', undefined, 401],
    [null, 'GET', '/api/v1/lessons', undefined, 401],
    [null, 'POST', '/api/v1/schools', { name: 'X' }, 401],
    [null, 'GET', '/api/v1/users', undefined, 401],
    [null, 'GET', '/metrics', undefined, 401],
    [null, 'GET', '/api/v1/stats/lessons', undefined, 401],
    [null, 'GET', '/api/v1/me', undefined, 401],
    // the rest of the contract's paths (shared/API.md) also want a token
    [null, 'GET', `/api/v1/lessons/${lessonId}/sources`, undefined, 401],
    [null, 'POST', `/api/v1/lessons/${lessonId}/sources`, { name: 'board', uri: 'test://pattern' }, 401],
    [null, 'GET', `/api/v1/lessons/${lessonId}/recordings`, undefined, 401],
    [null, 'GET', '/api/v1/resources', undefined, 401],
    [null, 'GET', '/api/v1/resources/1', undefined, 401],
    [null, 'GET', '/api/v1/classrooms', undefined, 401],
    [null, 'GET', `/api/v1/lessons/${lessonId}`, undefined, 401],
    [null, 'POST', `/api/v1/lessons/${lessonId}/start`, undefined, 401],
    ['garbage', 'GET', '/api/v1/schools', undefined, 401],
    ['cb1.e30.AAAA', 'GET', '/api/v1/schools', undefined, 401],
    ['teacher', 'POST', '/api/v1/schools', { name: 'X' }, 403],
    ['teacher', 'DELETE', `/api/v1/classrooms/${w.roomC.id}`, undefined, 403],
    ['teacher', 'GET', '/api/v1/users', undefined, 403],
    ['teacher', 'GET', `/api/v1/users/${w.teacher2.id}`, undefined, 403],
    ['teacher', 'GET', '/api/v1/stats/lessons', undefined, 403],
    ['teacher', 'GET', '/metrics', undefined, 403],
    ['teacher', 'GET', `/api/v1/lessons/${lessonId}`, undefined, 403],
    ['teacher', 'POST', `/api/v1/lessons/${lessonId}/start`, undefined, 403],
    ['teacher', 'PATCH', `/api/v1/lessons/${lessonId}`, { title: 'mine now' }, 403],
    ['teacher', 'DELETE', `/api/v1/lessons/${lessonId}`, undefined, 403],
    ['teacher', 'POST', '/api/v1/lessons', { title: 'x', mode: 'dedicated', subject: 's', grade: '1', teacher_id: w.teacher2.id,
      host_classroom_id: w.roomB.id, starts_at: iso(Date.now() + 30 * 3600e3), ends_at: iso(Date.now() + 31 * 3600e3) }, 403],
    ['clsA', 'GET', `/api/v1/lessons/${lessonId}`, undefined, 403],
    ['clsA', 'POST', '/api/v1/lessons', { title: 'x' }, 403],
    ['clsA', 'POST', `/api/v1/lessons/${w.lesson.id}/end`, undefined, 403],  // member, not host
    ['clsA', 'GET', '/api/v1/users', undefined, 403],
    ['clsC', 'POST', `/api/v1/lessons/${lessonId}/start`, undefined, 403],  // host is room C but it is the only... see below
    ['staff', 'POST', '/api/v1/lessons', { title: 'x' }, 403],
    ['staff', 'POST', '/api/v1/classrooms', { school_id: w.school.id, name: 'x', kind: 'recording' }, 403],
    ['staff', 'GET', '/api/v1/users', undefined, 403],
    ['viewer', 'GET', '/api/v1/lessons', undefined, 403],
    ['viewer', 'GET', '/api/v1/schools', undefined, 403],
    ['viewer', 'GET', `/api/v1/lessons/${w.lesson.id}`, undefined, 403],
    ['viewer', 'GET', '/api/v1/stats/lessons', undefined, 403],
    ['viewer', 'DELETE', `/api/v1/users/${w.teacher.id}`, undefined, 403],
  ];
  const tokens = { teacher: w.tTeacher, clsA: w.tClsA, clsC: w.tClsC, staff: w.tStaff, viewer: w.tViewer };
  const before = await snapshot();
  for (const [who, method, path, body, status] of cases) {
    const token = who === null ? undefined : (tokens[who] ?? who);
    const r = await server.api(method, path, { token, body });
    if (who === 'clsC') continue;  // checked below: room C hosts lesson2, so this start is allowed
    assert.equal(r.status, status, `${who} ${method} ${path}: ${r.status} ${r.text}`);
    assert.equal(typeof r.json?.error?.code, 'string', `${method} ${path}: error object: ${r.text}`);
    assert.equal(typeof r.json?.error?.message, 'string');
  }
  // room C's terminal hosts lesson2, so it may start and end it
  const l2 = ok(await server.api('GET', `/api/v1/lessons/${lessonId}`, { token: admin }));
  assert.equal(l2.status, 'live');
  ok(await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: w.tClsC }));
  const after = await snapshot();
  after.lessons = after.lessons.map((l) => (l.id === lessonId ? { ...l, status: 'scheduled', started_at: null, ended_at: null } : l));
  after.audit -= 2;  // the start and end just above
  assert.deepEqual(after, before);
  // a deleted user's token stops working at once
  const gone = ok(await server.api('POST', '/api/v1/users', { token: admin, body: { username: 'short-lived', password: 'another-password', role: 'staff' } }), 201);
  const goneToken = await server.login('short-lived', 'another-password');
  ok(await server.api('GET', '/api/v1/me', { token: goneToken }));
  assert.equal((await server.api('DELETE', `/api/v1/users/${gone.id}`, { token: admin })).status, 204);
  assert.equal((await server.api('GET', '/api/v1/me', { token: goneToken })).status, 401);
});

function rawGet(path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.httpPort, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function snapshot() {
  const get = async (p) => ok(await server.api('GET', p, { token: admin }));
  return {
    schools: await get('/api/v1/schools'), classrooms: await get('/api/v1/classrooms'), users: await get('/api/v1/users'),
    lessons: await get('/api/v1/lessons'), audit: (await get('/api/v1/audit?limit=1000')).length,
  };
}

test('malformed and hostile requests: the right 4xx, nothing changed', async () => {
  const now = Date.now();
  const lessonBody = (over) => ({
    title: 'Hostile', mode: 'dedicated', subject: 'math', grade: '2', teacher_id: w.teacher.id,
    host_classroom_id: w.rec.id, member_classroom_ids: [w.roomA.id],
    starts_at: iso(now + 20 * 3600e3), ends_at: iso(now + 21 * 3600e3), ...over,
  });
  // An existing future lesson to collide with.
  const anchor = ok(await server.api('POST', '/api/v1/lessons', { token: admin, body: lessonBody({ title: 'Anchor' }) }), 201);
  const json = { 'content-type': 'application/json' };
  let deep = ''; for (let i = 0; i < 3000; i++) deep += '['; for (let i = 0; i < 3000; i++) deep += ']';
  const tampered = admin.replace(/^cb1\.([^.]+)\./, (m, p) => `cb1.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), rol: 'admin', uid: w.viewer.id, usr: 'viewer1' })).toString('base64url')}.`);
  const cases = [
    // [method, path, rawBody|object, status, code, headers]
    ['POST', '/api/v1/schools', '{"name":', 400, 'bad_json', json],
    ['POST', '/api/v1/schools', '[]', 400, 'bad_json', json],
    ['POST', '/api/v1/schools', 'null', 400, 'bad_json', json],
    ['POST', '/api/v1/schools', '', 400, 'bad_json', json],
    ['POST', '/api/v1/schools', deep, 400, 'bad_json', json],
    ['POST', '/api/v1/schools', { name: 'X', is_admin: true }, 400, 'unknown_field'],
    ['POST', '/api/v1/schools', { name: 123 }, 400, 'wrong_type'],
    ['POST', '/api/v1/schools', { name: '' }, 400, 'invalid_value'],
    ['POST', '/api/v1/schools', { name: 'x'.repeat(201) }, 400, 'invalid_value'],
    ['POST', '/api/v1/schools', { name: 'A\u0000B' }, 400, 'invalid_value'],
    ['POST', '/api/v1/schools', '{"name":"X"}', 415, 'unsupported_media_type', { 'content-type': 'text/plain' }],
    ['POST', '/api/v1/schools', { name: w.school.name }, 409, 'name_taken'],
    ['POST', '/api/v1/schools', JSON.stringify({ name: 'big', region: 'x'.repeat(3 << 20) }), 413, null, json],
    ['PATCH', `/api/v1/schools/${w.school.id}`, { name: 'X', id: 5 }, 400, 'unknown_field'],
    ['DELETE', `/api/v1/schools/${w.school.id}`, undefined, 409, 'in_use'],
    ['POST', '/api/v1/classrooms', { school_id: String(w.school.id), name: 'X', kind: 'recording' }, 400, 'wrong_type'],
    ['POST', '/api/v1/classrooms', { school_id: 987654, name: 'X', kind: 'recording' }, 400, 'unknown_school'],
    ['POST', '/api/v1/classrooms', { school_id: 0, name: 'X', kind: 'recording' }, 400, 'invalid_value'],
    ['POST', '/api/v1/classrooms', { school_id: w.school.id, name: 'X', kind: 'studio' }, 400, 'invalid_value'],
    ['POST', '/api/v1/classrooms', { school_id: w.school.id, kind: 'recording' }, 400, 'missing_field'],
    ['POST', '/api/v1/classrooms', { school_id: w.school.id, name: 'Recording 1', kind: 'recording' }, 409, 'name_taken'],
    ['DELETE', '/api/v1/classrooms/987654', undefined, 404, 'not_found'],
    ['DELETE', `/api/v1/classrooms/${w.rec.id}`, undefined, 409, 'in_use'],
    ['POST', '/api/v1/users', { username: 'u1', password: 'long-enough-pw', role: 'viewer' }, 400, 'invalid_value'],
    ['POST', '/api/v1/users', { username: "x'; DROP TABLE users;--", password: 'long-enough-pw', role: 'viewer' }, 400, 'invalid_value'],
    ['POST', '/api/v1/users', { username: 'newuser', password: 'short', role: 'viewer' }, 400, 'invalid_value'],
    ['POST', '/api/v1/users', { username: 'newuser', password: 'long-enough-pw', role: 'superuser' }, 400, 'invalid_value'],
    ['POST', '/api/v1/users', { username: 'newuser', password: 'long-enough-pw', role: 'classroom' }, 400, 'missing_field'],
    ['POST', '/api/v1/users', { username: 'newuser', password: 'long-enough-pw', role: 'teacher', classroom_id: w.roomA.id }, 400, 'invalid_value'],
    ['POST', '/api/v1/users', { username: 'newuser', password: 'long-enough-pw', role: 'classroom', classroom_id: 987654 }, 400, 'unknown_classroom'],
    ['POST', '/api/v1/users', { username: 'admin', password: 'long-enough-pw', role: 'viewer' }, 409, 'username_taken'],
    ['PATCH', `/api/v1/users/${w.teacher.id}`, { role: 'classroom' }, 400, 'missing_field'],
    ['PATCH', `/api/v1/users/${w.teacher.id}`, { password_hash: 'x' }, 400, 'unknown_field'],
    ['POST', '/api/v1/lessons', lessonBody({ ends_at: iso(now + 19 * 3600e3) }), 400, 'invalid_time_range'],
    ['POST', '/api/v1/lessons', lessonBody({ member_classroom_ids: [w.rec.id] }), 400, 'member_is_host'],
    ['POST', '/api/v1/lessons', lessonBody({ member_classroom_ids: [987654] }), 400, 'unknown_classroom'],
    ['POST', '/api/v1/lessons', lessonBody({ host_classroom_id: w.roomC.id, member_classroom_ids: [] }), 409, 'teacher_busy'],
    ['POST', '/api/v1/lessons', lessonBody({ teacher_id: w.teacher2.id, host_classroom_id: w.roomC.id, member_classroom_ids: [w.roomA.id] }), 409, 'classroom_busy'],
    ['POST', '/api/v1/lessons', lessonBody({ teacher_id: w.teacher2.id, host_classroom_id: w.roomA.id, member_classroom_ids: [] }), 409, 'classroom_busy'],
    ['POST', '/api/v1/lessons', lessonBody({ teacher_id: w.staff.id }), 400, 'invalid_teacher'],
    ['POST', '/api/v1/lessons', lessonBody({ starts_at: 'tomorrow' }), 400, 'invalid_value'],
    ['POST', '/api/v1/lessons', lessonBody({ starts_at: 1700000000 }), 400, 'wrong_type'],
    ['POST', '/api/v1/lessons', lessonBody({ record: 'yes' }), 400, 'wrong_type'],
    ['POST', '/api/v1/lessons', lessonBody({ member_classroom_ids: String(w.roomA.id) }), 400, 'wrong_type'],
    ['POST', '/api/v1/lessons', lessonBody({ mode: 'lecture' }), 400, 'invalid_value'],
    ['POST', '/api/v1/lessons', lessonBody({ status: 'live' }), 400, 'unknown_field'],
    ['POST', '/api/v1/lessons', lessonBody({ title: undefined }), 400, 'missing_field'],
    ['PATCH', `/api/v1/lessons/${w.lesson.id}`, { title: 'after the fact' }, 409, 'lesson_not_scheduled'],
    ['PATCH', `/api/v1/lessons/${anchor.id}`, { ends_at: iso(now + 19 * 3600e3) }, 400, 'invalid_time_range'],
    ['POST', `/api/v1/lessons/${w.lesson.id}/start`, undefined, 409, 'lesson_ended'],
    ['GET', '/api/v1/lessons/abc', undefined, 400, 'invalid_id'],
    ['GET', '/api/v1/lessons/-1', undefined, 400, 'invalid_id'],
    ['GET', '/api/v1/lessons/1%20OR%201=1', undefined, 400, 'invalid_id'],
    ['GET', '/api/v1/lessons/987654', undefined, 404, 'not_found'],
    ['GET', '/api/v1/lessons?status=bogus', undefined, 400, 'invalid_value'],
    ['GET', '/api/v1/stats/lessons?by=teacher', undefined, 400, 'invalid_value'],
    ['GET', '/api/v1/stats/lessons?from=yesterday', undefined, 400, 'invalid_value'],
    ['GET', '/api/v1/stats/lessons?from=2026-02-01&to=2026-01-01', undefined, 400, 'invalid_time_range'],
    ['POST', '/api/v1/login', { username: 'admin', password: 'wrong' }, 401, 'unauthorized'],
    ['POST', '/api/v1/login', { username: 'nobody-here', password: 'wrong' }, 401, 'unauthorized'],
    ['POST', '/api/v1/login', { username: 'admin' }, 400, 'missing_field'],
    ['POST', '/api/v1/login', { username: 'admin', password: 'x', remember: true }, 400, 'unknown_field'],
  ];
  const before = await snapshot();
  for (const [method, path, body, status, code, headers] of cases) {
    const r = await server.api(method, path, { token: admin, body, headers });
    const label = `${method} ${path} ${typeof body === 'string' ? body.slice(0, 40) : JSON.stringify(body)?.slice(0, 80)}`;
    assert.equal(r.status, status, `${label}: ${r.status} ${r.text.slice(0, 300)}`);
    if (code) assert.equal(r.json?.error?.code, code, `${label}: ${r.text.slice(0, 300)}`);
  }
  // A forged token (payload changed to claim admin for the viewer) is refused.
  assert.equal((await server.api('GET', '/api/v1/users', { token: tampered })).status, 401);
  // Path traversal in static paths never escapes the web root.
  for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd',
    '/static/../../../../etc/passwd', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/....//....//etc/passwd',
    '/%252e%252e/etc/passwd', '/client-web/../server/Auth.cpp', '/..\\..\\etc\\passwd']) {
    // node's http client sends the path byte for byte (fetch would normalise the dots away)
    const r = await rawGet(p);
    const text = r.text;
    assert.ok(r.status >= 400 && r.status < 500, `${p}: ${r.status}`);
    assert.ok(!text.includes('root:') && !text.includes('password_hash'), `${p} leaked: ${text.slice(0, 100)}`);
  }
  const after = await snapshot();
  assert.deepEqual(after, before);
  assert.ok(cases.length >= 30);
});
