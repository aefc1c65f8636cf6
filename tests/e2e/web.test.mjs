// The web client in real Chromium against a real `classbridge serve`: pages load without
// console errors, sign-in through the form, the lesson list with links by role, and the
// static front's behaviour seen by a browser (MIME types, 404 JSON, traversal refused).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeLiveLesson, ADMIN_PASSWORD } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';

let server;
let browser;
let world;

before(async () => {
  server = await startServer();
  world = await makeLiveLesson(server);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

// Collects console errors and uncaught page errors of one page.
function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

async function signIn(page, username, password) {
  await page.goto(server.base + '/');
  await page.waitForSelector('#login-form:not([hidden])', { timeout: 60000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-button');
}

test('admin signs in through the form and sees the live lesson with watch and teach links', async () => {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await signIn(page, 'admin', ADMIN_PASSWORD);
  const row = page.locator(`tr[data-lesson-id="${world.lesson.id}"]`);
  await row.waitFor({ timeout: 60000 });
  assert.match(await row.innerText(), new RegExp(world.lesson.title));
  assert.match(await row.locator('.badge').innerText(), /live/);
  assert.equal(await row.locator(`a[href="/watch.html?lesson=${world.lesson.id}"]`).count(), 1);
  assert.equal(await row.locator(`a[href="/teach.html?lesson=${world.lesson.id}"]`).count(), 1);
  assert.match(await page.locator('#who-name').innerText(), /admin/);
  // The token is kept for this tab only.
  const stored = await page.evaluate(() => sessionStorage.getItem('classbridge.session'));
  assert.equal(JSON.parse(stored).role, 'admin');
  // A reload keeps the session; log out returns to the form.
  await page.reload();
  await row.waitFor({ timeout: 60000 });
  await page.click('#logout');
  await page.waitForSelector('#login-form:not([hidden])', { timeout: 60000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a classroom account sees its lesson with only a watch link', async () => {
  const password = 'classroom-pass-' + Date.now();
  const username = 'web-room-' + Date.now();
  const created = await server.api('POST', '/api/v1/users', { token: world.admin,
    body: { username, password, role: 'classroom', classroom_id: world.room.id } });
  assert.ok(created.status < 300, created.text);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await signIn(page, username, password);
  const row = page.locator(`tr[data-lesson-id="${world.lesson.id}"]`);
  await row.waitFor({ timeout: 60000 });
  assert.equal(await row.locator('a[href^="/watch.html"]').count(), 1);
  assert.equal(await row.locator('a[href^="/teach.html"]').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('watch page loads for a terminal token and exposes player stats', async () => {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.base}/watch.html?lesson=${world.lesson.id}&token=${encodeURIComponent(world.classroomToken)}`);
  await page.waitForFunction(() => typeof window.cbPlayer?.stats === 'function', null, { timeout: 60000 });
  const stats = await page.evaluate(() => window.cbPlayer.stats());
  assert.equal(typeof stats.framesDecoded, 'number');
  assert.equal(typeof stats.totalSamplesReceived, 'number');
  await page.waitForFunction(() => document.getElementById('status').textContent.length > 0, null, { timeout: 60000 });
  await page.waitForFunction((t) => document.getElementById('title').textContent === t, world.lesson.title, { timeout: 60000 });
  // Whether media flows is the rtc tests' business; script errors are ours.
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.close();
});

test('teach page publishes the fake camera by WHIP and Stop ends the session', async () => {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.base}/teach.html?lesson=${world.lesson.id}&source=board&autostart=1` +
    `&token=${encodeURIComponent(world.teacherToken)}`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Broadcast: connected',
    null, { timeout: 60000 });
  await page.waitForFunction(async () => (await window.cbPublisher.stats()).packetsSent > 0, null, { timeout: 60000 });
  const sources = await server.api('GET', `/api/v1/lessons/${world.lesson.id}/sources`, { token: world.admin });
  assert.ok(sources.json.some((src) => src.name === 'board'), sources.text);
  assert.equal(await page.locator('#start').isDisabled(), true);
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Stopped.', null, { timeout: 60000 });
  assert.equal(await page.locator('#start').isDisabled(), false);
  assert.equal((await page.evaluate(() => window.cbPublisher.stats())).connectionState, 'closed');
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.close();
});

test('wrong password shows an error and stores nothing', async () => {
  const page = await browser.newPage();
  await signIn(page, 'admin', 'not-the-password');
  await page.waitForFunction(() => document.getElementById('login-status').classList.contains('error'), null, { timeout: 60000 });
  assert.match(await page.locator('#login-status').innerText(), /wrong username or password/i);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('classbridge.session')), null);
  await page.close();
});

test('static front: MIME types, cache headers, JSON 404, traversal refused', async () => {
  let r = await fetch(server.base + '/js/api.js');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  assert.ok(r.headers.get('etag'));
  r = await fetch(server.base + '/css/style.css');
  assert.match(r.headers.get('content-type'), /^text\/css/);
  r = await fetch(server.base + '/');
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(await r.text(), /ClassBridge/);
  r = await fetch(server.base + '/no-such-page.html');
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.code, 'not_found');
  for (const p of ['/%2e%2e/CMakeLists.txt', '/js/..%2f..%2fCMakeLists.txt', '/.git/HEAD']) {
    r = await fetch(server.base + p);
    assert.ok(r.status >= 400 && r.status < 500, `${p}: ${r.status}`);
    assert.doesNotMatch(await r.text(), /cmake_minimum_required|ref: refs/);
  }
});
