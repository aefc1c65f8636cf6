// Recording a live lesson fed by a test source, then the library: workflow by role,
// visibility, VOD over HTTP (Range, traversal) and playback in headless Chromium.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { startServer, makeLiveLesson, sleep, SOURCE_DIR } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { waitFor, recordingDirs, startedDirs, probe, addSource, waitProcessed } from './lib/recording.mjs';

let server, world, resource, staff, viewerOther, viewerSame;

before(async () => { server = await startServer(); });
after(async () => { await server?.cleanup(); });

async function makeUser(role, classroomId) {
  const sfx = Math.random().toString(36).slice(2, 8);
  const body = { username: `${role}-${sfx}`, password: `pw-${sfx}-long-enough`, role };
  if (classroomId) body.classroom_id = classroomId;
  const r = await server.api('POST', '/api/v1/users', { token: world.admin, body });
  assert.ok(r.status < 300, r.text);
  return server.login(body.username, body.password);
}

// A raw request, so the path reaches the server exactly as written (fetch would normalise `..`).
function rawGet(path) {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.httpPort, '127.0.0.1', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    s.on('error', reject);
    s.setTimeout(20000, () => { s.destroy(); reject(new Error('timeout')); });
  });
}

test('a 20 s lesson is recorded as playable H.264 + audio, lasting 20 s', { timeout: 400000 }, async () => {
  world = await makeLiveLesson(server, { record: true });
  const lessonId = world.lesson.id;
  await addSource(server, world.admin, lessonId);
  await waitFor('the recording to start', () => startedDirs(server.dataDir, lessonId).length > 0, 60000, 50);
  const t0 = Date.now();
  const dirs = await waitFor('the recording\'s playlist', () => recordingDirs(server.dataDir, lessonId).length > 0
    ? recordingDirs(server.dataDir, lessonId) : null, 20000, 100);
  await sleep(20000 - (Date.now() - t0));
  const end = await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: world.admin });
  assert.equal(end.status, 200, end.text);
  assert.equal(dirs.length, 1);

  const recs = await server.api('GET', `/api/v1/lessons/${lessonId}/recordings`, { token: world.admin });
  assert.equal(recs.status, 200, recs.text);
  assert.equal(recs.json.length, 1);
  assert.equal(recs.json[0].state, 'finished');
  assert.equal(recs.json[0].source, 'teacher');
  const p = probe(join(dirs[0], 'recording.mp4'));
  assert.deepEqual(p.codecs.map((c) => c.split(',')[0]).sort(), ['h264', 'opus']);
  assert.ok(Math.abs(p.duration - 20) <= 1, `duration ${p.duration}`);
  assert.equal(p.decodeErrors, '');
  const hls = probe(join(dirs[0], 'recording.m3u8'));
  assert.equal(hls.decodeErrors, '');

  // The finished recording is a draft in the library, with the lesson's metadata.
  const list = await server.api('GET', `/api/v1/resources?lesson_id=${lessonId}`, { token: world.admin });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.total, 1);
  resource = list.json.items[0];
  assert.equal(resource.status, 'draft');
  assert.equal(resource.subject, 'music');
  assert.equal(resource.mode, 'dedicated');
  assert.equal(resource.school_id, world.school.id);
  resource = await waitProcessed(server, world.admin, resource.id, 240000);
  assert.ok(Math.abs(resource.duration - 20) <= 1.5, `processed duration ${resource.duration}`);
  const mp4 = probe(join(server.dataDir, 'vod', String(resource.id), 'lesson.mp4'));
  assert.deepEqual(mp4.codecs.map((c) => c.split(',')[0]).sort(), ['aac', 'h264']);
  assert.equal(mp4.decodeErrors, '');
});

test('the review workflow allows and forbids each transition by role', { timeout: 60000 }, async () => {
  assert.ok(resource, 'needs the recording of the first test');
  staff = await makeUser('staff');
  const other = (await server.api('POST', '/api/v1/schools', { token: world.admin, body: { name: `Other ${Date.now()}` } })).json;
  const otherRoom = (await server.api('POST', '/api/v1/classrooms', { token: world.admin,
    body: { school_id: other.id, name: 'Room X', kind: 'interactive' } })).json;
  viewerOther = await makeUser('classroom', otherRoom.id);  // a user of another school
  viewerSame = world.classroomToken;
  const id = resource.id;
  const act = (token, action, body) => server.api('POST', `/api/v1/resources/${id}/${action}`, { token, body: body ?? {} });

  assert.equal((await act(viewerOther, 'submit')).status, 403);
  assert.equal((await act(world.classroomToken, 'submit')).status, 403);
  assert.equal((await act(world.teacherToken, 'approve')).status, 403, 'the draft is not submitted yet, and teachers never approve');
  assert.equal((await act(staff, 'approve')).status, 409, 'a draft cannot be approved');
  assert.equal((await act(world.teacherToken, 'submit')).status, 200);
  assert.equal((await act(world.teacherToken, 'approve')).status, 403);
  assert.equal((await act(world.teacherToken, 'publish')).status, 403);
  assert.equal((await act(staff, 'publish')).status, 409, 'submitted is not approved');
  const noReason = await act(staff, 'reject');
  assert.equal(noReason.status, 400, noReason.text);
  const rejected = await act(staff, 'reject', { reason: 'sound too quiet' });
  assert.equal(rejected.status, 200, rejected.text);
  assert.equal(rejected.json.status, 'rejected');
  assert.equal(rejected.json.reject_reason, 'sound too quiet');
  // The teacher fixes the metadata of a rejected resource and submits it again.
  const edit = await server.api('PATCH', `/api/v1/resources/${id}`, { token: world.teacherToken, body: { title: 'Music, lesson 1' } });
  assert.equal(edit.status, 200, edit.text);
  assert.equal((await server.api('PATCH', `/api/v1/resources/${id}`, { token: world.teacherToken, body: { visibility: 'public' } })).status, 403);
  assert.equal((await act(world.teacherToken, 'submit')).status, 200);
  assert.equal((await act(staff, 'approve')).status, 200);
  assert.equal((await act(staff, 'unpublish')).status, 409);
  const pub = await act(staff, 'publish');
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.json.status, 'published');
  assert.equal((await act(staff, 'publish')).status, 409);
  assert.equal((await server.api('PATCH', `/api/v1/resources/${id}`, { token: staff, body: { trim_start: 2 } })).status, 409,
    'a published resource is not re-cut');
  assert.equal((await server.api('PATCH', `/api/v1/resources/${id}`, { token: world.teacherToken, body: { title: 'x' } })).status, 403,
    'teachers edit drafts only');
  const unpub = await act(world.admin, 'unpublish');
  assert.equal(unpub.status, 200);
  assert.equal((await act(world.admin, 'publish')).status, 200);

  // Search, filters, pagination; visibility scoping for a viewer.
  const byText = await server.api('GET', '/api/v1/resources?q=lesson%201&subject=music&status=published', { token: staff });
  assert.equal(byText.json.total, 1);
  assert.equal((await server.api('GET', '/api/v1/resources?subject=maths', { token: staff })).json.total, 0);
  assert.equal((await server.api('GET', '/api/v1/resources?page=0', { token: staff })).status, 400);
  assert.equal((await server.api('GET', '/api/v1/resources', { token: viewerOther })).json.total, 0, 'school-only: hidden from other schools');
  assert.equal((await server.api('GET', '/api/v1/resources')).status, 401);
  const count = async (query) => {
    const r = await server.api('GET', `/api/v1/resources?${query}`, { token: staff });
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return r.json.total;
  };
  const w = world;
  for (const [query, total] of [[`teacher=${w.teacher.id}`, 1], ['teacher=nobody-at-all', 0],
    [`school=${w.school.id}`, 1], [`school=${encodeURIComponent(w.school.name)}`, 1], ['school=999999', 0],
    [`date=${resource.date}`, 1], ['date=2001-01-01', 0], ['mode=dedicated', 1], ['grade=5', 1], ['grade=6', 0],
    [`lesson_id=${w.lesson.id}&visibility=school`, 1], ['visibility=public', 0], ['q=no-such-words', 0]]) {
    assert.equal(await count(query), total, query);
  }
  const page2 = await server.api('GET', '/api/v1/resources?per_page=1&page=2', { token: staff });
  assert.deepEqual([page2.json.total, page2.json.items.length, page2.json.page, page2.json.per_page], [1, 0, 2, 1]);
  assert.equal((await server.api('GET', '/api/v1/resources?per_page=101', { token: staff })).status, 400);

  // Every step is in the audit log, by whom, in order.
  const audit = await server.api('GET', '/api/v1/audit?limit=1000', { token: w.admin });
  assert.equal(audit.status, 200, audit.text);
  const steps = audit.json.filter((a) => a.entity === 'resource' && Number(a.entity_id) === id).reverse()
    .map((a) => a.action);
  assert.deepEqual(steps, ['create', 'submit', 'reject', 'update', 'submit', 'approve', 'publish', 'unpublish', 'publish']);
});

test('VOD: visibility, Range, traversal, views, ratings and comments', { timeout: 60000 }, async () => {
  assert.ok(staff, 'needs the workflow test');
  const id = resource.id;
  const path = `/vod/${id}/index.m3u8`;
  // school visibility (the default)
  assert.equal((await server.api('GET', path)).status, 401);
  assert.equal((await server.api('GET', path, { token: viewerOther })).status, 403);
  const same = await server.api('GET', path, { token: viewerSame });
  assert.equal(same.status, 200, same.text);
  assert.equal(same.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.equal(same.headers.get('cache-control'), 'private, max-age=60');
  assert.match(same.text, /#EXT-X-ENDLIST/);
  // region: any signed-in user
  assert.equal((await server.api('PATCH', `/api/v1/resources/${id}`, { token: staff, body: { visibility: 'region' } })).status, 200);
  assert.equal((await server.api('GET', path, { token: viewerOther })).status, 200);
  assert.equal((await server.api('GET', path)).status, 401);
  // public: no token needed
  assert.equal((await server.api('PATCH', `/api/v1/resources/${id}`, { token: staff, body: { visibility: 'public' } })).status, 200);
  const pub = await server.api('GET', path);
  assert.equal(pub.status, 200);
  assert.match(pub.headers.get('cache-control'), /public/);

  const mp4 = `/vod/${id}/lesson.mp4`;
  const full = await fetch(server.base + mp4);
  const size = Number(full.headers.get('content-length'));
  assert.equal(full.headers.get('content-type'), 'video/mp4');
  assert.ok(size > 100000, `size ${size}`);
  const fullBody = Buffer.from(await full.arrayBuffer());
  assert.equal(fullBody.length, size);
  const part = await fetch(server.base + mp4, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${size}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(fullBody.subarray(100, 200)));
  const suffix = await fetch(server.base + mp4, { headers: { range: 'bytes=-100' } });
  assert.equal(suffix.status, 206);
  assert.equal(suffix.headers.get('content-range'), `bytes ${size - 100}-${size - 1}/${size}`);
  assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(fullBody.subarray(size - 100)));
  const bad = await fetch(server.base + mp4, { headers: { range: `bytes=${size + 10}-` } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), `bytes */${size}`);
  await bad.arrayBuffer();
  // A Range we do not serve as one range (malformed) is ignored, as RFC 9110 allows.
  const odd = await fetch(server.base + mp4, { headers: { range: 'bytes=abc' } });
  assert.equal(odd.status, 200);
  assert.equal((await odd.arrayBuffer()).byteLength, size);
  // MIME types and caching of every kind of file (public now).
  const seg = pub.text.split('\n').find((l) => /^seg_\d{5}\.m4s/.test(l)).split('?')[0];
  for (const [file, type] of [[seg, 'video/iso.segment'], ['init.mp4', 'video/mp4'], ['poster.jpg', 'image/jpeg'],
    ['thumb_1.jpg', 'image/jpeg'], ['thumb_4.jpg', 'image/jpeg']]) {
    const r = await fetch(`${server.base}/vod/${id}/${file}`);
    assert.equal(r.status, 200, file);
    assert.equal(r.headers.get('content-type'), type, file);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600', file);
    assert.ok((await r.arrayBuffer()).byteLength > 0, file);
  }

  for (const p of [`/vod/${id}/../../etc/passwd`, `/vod/${id}/..%2f..%2fetc%2fpasswd`, `/vod/../../etc/passwd`,
    `/vod/${id}/%2e%2e/%2e%2e/etc/passwd`, `/vod/${id}/recording.mp4`, `/vod/${id}/index.m3u8.tmp`, '/vod/abc/lesson.mp4']) {
    const r = await rawGet(p);
    assert.ok([400, 404].includes(r.status), `${p}: ${r.status}`);
    assert.doesNotMatch(r.text, /root:/);
  }
  assert.equal((await server.api('GET', `/vod/99999/index.m3u8`)).status, 404);

  // Views: once per viewer per hour.
  // (staff has not watched yet; the viewers above have, this hour)
  const before = (await server.api('GET', `/api/v1/resources/${id}`, { token: staff })).json.views;
  assert.equal((await server.api('GET', path, { token: staff })).status, 200);
  assert.equal((await server.api('GET', path, { token: staff })).status, 200);
  assert.equal((await server.api('GET', path, { token: viewerOther })).status, 200);
  const afterViews = (await server.api('GET', `/api/v1/resources/${id}`, { token: staff })).json.views;
  assert.equal(afterViews, before + 1);

  // Ratings 1-5, comments that staff can hide.
  assert.equal((await server.api('POST', `/api/v1/resources/${id}/rating`, { token: viewerOther, body: { stars: 6 } })).status, 400);
  assert.equal((await server.api('POST', `/api/v1/resources/${id}/rating`, { token: viewerOther, body: { stars: 4 } })).status, 200);
  const r2 = await server.api('POST', `/api/v1/resources/${id}/rating`, { token: viewerSame, body: { stars: 5 } });
  assert.equal(r2.json.average, 4.5);
  const c = await server.api('POST', `/api/v1/resources/${id}/comments`, { token: viewerOther, body: { body: 'very clear, thanks' } });
  assert.equal(c.status, 201, c.text);
  assert.equal((await server.api('POST', `/api/v1/resources/${id}/comments/${c.json.id}/hide`, { token: viewerOther })).status, 403);
  assert.equal((await server.api('POST', `/api/v1/resources/${id}/comments/${c.json.id}/hide`, { token: staff })).status, 200);
  assert.equal((await server.api('GET', `/api/v1/resources/${id}/comments`, { token: viewerOther })).json.length, 0);
  assert.equal((await server.api('GET', `/api/v1/resources/${id}/comments`, { token: staff })).json.length, 1);
});

test('a published public resource plays in Chromium with hls.js and as lesson.mp4', { timeout: 180000 }, async () => {
  assert.ok(staff, 'needs the VOD test');
  const id = resource.id;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.base}/healthz`);
    await page.setContent('<video id="v" muted playsinline></video>');
    await page.addScriptTag({ path: join(SOURCE_DIR, 'node_modules/hls.js/dist/hls.min.js') });
    const hlsResult = await page.evaluate(async (src) => {
      const video = document.getElementById('v');
      const errors = [];
      const hls = new window.Hls();
      hls.on(window.Hls.Events.ERROR, (_e, d) => { if (d.fatal) errors.push(d.details); });
      hls.loadSource(src);
      hls.attachMedia(video);
      const ready = await new Promise((resolve) => {
        hls.on(window.Hls.Events.MANIFEST_PARSED, () => resolve(true));
        hls.on(window.Hls.Events.ERROR, (_e, d) => { if (d.fatal) resolve(false); });
        setTimeout(() => resolve(false), 30000);
      });
      if (!ready) return { time: 0, errors: errors.length ? errors : ['manifest not parsed'], width: 0 };
      await video.play();
      const t0 = Date.now();
      while (video.currentTime < 3 && errors.length === 0 && Date.now() - t0 < 45000) await new Promise((r) => setTimeout(r, 200));
      return { time: video.currentTime, errors, width: video.videoWidth };
    }, `${server.base}/vod/${id}/index.m3u8`);
    assert.deepEqual(hlsResult.errors, []);
    assert.ok(hlsResult.time >= 3, `hls.js played ${hlsResult.time} s`);
    assert.ok(hlsResult.width > 0);

    const mp4Result = await page.evaluate(async (src) => {
      const video = document.createElement('video');
      video.muted = true;
      document.body.appendChild(video);
      let error = null;
      video.onerror = () => { error = video.error?.message || `code ${video.error?.code}`; };
      video.src = src;
      await video.play().catch((e) => { error = String(e); });
      const t0 = Date.now();
      while (video.currentTime < 3 && !error && Date.now() - t0 < 45000) await new Promise((r) => setTimeout(r, 200));
      return { time: video.currentTime, error, duration: video.duration };
    }, `${server.base}/vod/${id}/lesson.mp4`);
    assert.equal(mp4Result.error, null);
    assert.ok(mp4Result.time >= 3, `lesson.mp4 played ${mp4Result.time} s`);
    assert.ok(Math.abs(mp4Result.duration - resource.duration) < 1.5);
  } finally {
    await browser.close();
  }
});
