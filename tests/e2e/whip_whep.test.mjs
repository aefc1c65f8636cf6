// WHIP publish from headless Chromium (fake camera + microphone), three WHEP players that
// must decode video and audio, a late player that must start fast (keyframe request), and
// session teardown by DELETE and by consent expiry of a killed player.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeLiveLesson } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor, metrics, metric, sleep, launchKillableBrowser } from './whip_whep.lib.mjs';

const WHEP = 'cb_rtc_sessions{kind="whep"}';
const WHIP = 'cb_rtc_sessions{kind="whip"}';

test('WHIP publisher to three WHEP players, late joiner, DELETE and consent expiry', { timeout: 240000 }, async (t) => {
  const server = await startServer({ env: { CB_RTC_CONSENT_TIMEOUT_MS: '5000' } });
  const browser = await launchBrowser();
  let victim;
  t.after(async () => { await browser.close(); if (victim) await victim.close(); await server.cleanup(); });
  const L = await makeLiveLesson(server);
  const lessonId = L.lesson.id;

  // Refusals first: wrong content type, a classroom trying to publish, no token.
  const bad = await server.api('POST', `/whip/${lessonId}`, { token: L.teacherToken, body: 'v=0', headers: { 'content-type': 'text/plain' } });
  assert.equal(bad.status, 415);
  const forbidden = await server.api('POST', `/whip/${lessonId}`, { token: L.classroomToken, body: 'v=0\r\n', headers: { 'content-type': 'application/sdp' } });
  assert.equal(forbidden.status, 403);
  const anon = await server.api('POST', `/whep/${lessonId}`, { body: 'v=0\r\n', headers: { 'content-type': 'application/sdp' } });
  assert.equal(anon.status, 401);
  const garbage = await server.api('POST', `/whep/${lessonId}`, { token: L.classroomToken, body: 'not sdp', headers: { 'content-type': 'application/sdp' } });
  assert.ok(garbage.status >= 400 && garbage.status < 500, `garbage offer: ${garbage.status}`);

  const pub = await openPage(browser, server);
  const published = await pub.evaluate(([u, tk]) => window.cb.publish(u, tk), [`${server.base}/whip/${lessonId}?source=teacher`, L.teacherToken]);
  assert.match(published.location, new RegExp(`^/whip/${lessonId}/[A-Za-z0-9_-]+$`));
  assert.match(published.answer, /a=ice-lite/);
  await waitFor('publisher connected and sending', async () => {
    const s = await pub.evaluate(() => window.cb.stats());
    return s.state === 'connected' && s.framesSent > 10;
  }, 30000);

  // Three players.
  const players = [];
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    const p = await openPage(browser, server);
    const r = await p.evaluate(([u, tk]) => window.cb.play(u, tk), [`${server.base}/whep/${lessonId}`, L.classroomToken]);
    assert.match(r.location, new RegExp(`^/whep/${lessonId}/`));
    assert.doesNotMatch(r.answer, /transport-cc|transport-wide-cc/, 'subscribers are not offered transport-cc');
    players.push({ page: p, location: r.location });
  }
  for (const [i, p] of players.entries()) {
    const s = await waitFor(`player ${i} decoding video and audio`, async () => {
      const s = await p.page.evaluate(() => window.cb.stats());
      return s.framesDecoded > 0 && s.totalSamplesReceived > 0 ? s : null;
    }, 30000, 50).catch(async (e) => {
      const st = await p.page.evaluate(() => window.cb.stats());
      throw new Error(`${e.message}\nplayer stats ${JSON.stringify(st)}\n${await metrics(server, L.admin)}\n--- server ---\n${server.output.slice(-5000)}`);
    });
    assert.ok(s.framesDecoded > 0 && s.totalSamplesReceived > 0);
  }
  for (const [i, p] of players.entries()) {
    const t = await waitFor(`player ${i} timings`, () => p.page.evaluate(() => (window.cbFirstFrameMs !== null && window.cbFirstAudioMs !== null ? { ...window.cbT, video: window.cbFirstFrameMs, audio: window.cbFirstAudioMs } : null)), 10000);
    const both = Math.max(t.video, t.audio);
    console.log(`player ${i}: answer ${Math.round(t.answer)} ms, connected ${Math.round(t.connected)} ms, first frame ${Math.round(t.video)} ms, first audio ${Math.round(t.audio)} ms after its POST`);
    assert.ok(both < 15000, `player ${i} decoded video and audio ${Math.round(both)} ms after its POST (issue target 5 s; 15 s allowed under CI load)`);
  }
  console.log(`all three players decoding ${Date.now() - t0} ms after the first POST was prepared (includes page set-up)`);

  // Keep playing: frames keep coming for everyone.
  const before = await Promise.all(players.map((p) => p.page.evaluate(() => window.cb.stats())));
  await sleep(2000);
  const after = await Promise.all(players.map((p) => p.page.evaluate(() => window.cb.stats())));
  for (let i = 0; i < 3; i++) {
    assert.ok(after[i].framesDecoded > before[i].framesDecoded + 5, `player ${i} keeps decoding (${before[i].framesDecoded} -> ${after[i].framesDecoded})`);
    assert.ok(after[i].totalSamplesReceived > before[i].totalSamplesReceived, `player ${i} keeps receiving audio`);
  }

  // Transport-cc: negotiated with the publisher, and the server keeps sending feedback
  // (every 50 ms while packets arrive). Chromium's estimate is logged, not asserted: on an
  // idle machine it climbs past 1 Mbit/s within seconds, but beside other tests (CI runs two
  // at once) the delay-based estimator sees a starved server's delays and stays low, and
  // the fake camera's picture is trivially compressible (~170 kbit/s sent) anyway.
  assert.match(published.answer, /a=rtcp-fb:\d+ transport-cc/);
  assert.match(published.answer, /a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/);
  const feedback = async () => metric(await metrics(server, L.admin), 'cb_rtc_twcc_feedback_sent_total');
  const fb0 = await feedback();
  const a = await pub.evaluate(() => window.cb.stats());
  await sleep(2000);
  const b = await pub.evaluate(() => window.cb.stats());
  const fb1 = await feedback();
  const kbps = Math.round(((b.videoBytesSent - a.videoBytesSent) * 8) / (b.at - a.at));
  console.log(`publisher: transport-cc feedback ${fb1 - fb0} packets in 2 s, availableOutgoingBitrate ${b.availableOutgoingBitrate}, video targetBitrate ${b.targetBitrate}, video sent ${kbps} kbit/s`);
  assert.ok(fb0 > 0, 'transport-cc feedback sent');
  assert.ok(fb1 - fb0 >= 5, `transport-cc feedback keeps flowing (${fb1 - fb0} in 2 s)`);
  assert.ok(b.availableOutgoingBitrate > 0, 'the publisher has a bandwidth estimate');

  // A late player: first frame soon after its POST (the server asks the publisher for a
  // keyframe when it connects). Chromium's encoder makes no periodic keyframes, so
  // without that request this would take many seconds.
  const late = await openPage(browser, server);
  await late.evaluate(([u, tk]) => window.cb.play(u, tk), [`${server.base}/whep/${lessonId}`, L.classroomToken]);
  const lateMs = await waitFor('late player first frame', () => late.evaluate(() => window.cbFirstFrameMs), 20000, 50);
  const lt = await late.evaluate(() => window.cbT);
  console.log(`late player: answer ${Math.round(lt.answer)} ms, connected ${Math.round(lt.connected)} ms, first decoded frame ${Math.round(lateMs)} ms after its POST`);
  assert.ok(lateMs <= 1500, `late player's first frame after ${Math.round(lateMs)} ms (issue: 1 s; 1.5 s allowed under load)`);

  let m = await metrics(server, L.admin);
  assert.equal(metric(m, WHEP), 4);
  assert.equal(metric(m, WHIP), 1);
  assert.ok(metric(m, 'cb_rtc_router_packets_out_total') > 100);
  assert.ok(metric(m, 'cb_rtc_keyframe_requests_total') >= 1);

  // DELETE frees at once; a second DELETE is a 404.
  const del = await server.api('DELETE', players[0].location, { token: L.classroomToken });
  assert.ok(del.status === 200 || del.status === 204, `DELETE: ${del.status} ${del.text}`);
  m = await metrics(server, L.admin);
  assert.equal(metric(m, WHEP), 3);
  const again = await server.api('DELETE', players[0].location, { token: L.classroomToken });
  assert.equal(again.status, 404);

  // A player whose browser is killed (no goodbye) is freed by consent expiry (5 s here).
  victim = await launchKillableBrowser();
  const vp = await openPage(victim, server);
  await vp.evaluate(([u, tk]) => window.cb.play(u, tk), [`${server.base}/whep/${lessonId}`, L.classroomToken]);
  await waitFor('victim decoding', async () => (await vp.evaluate(() => window.cb.stats())).framesDecoded > 0, 30000);
  m = await metrics(server, L.admin);
  assert.equal(metric(m, WHEP), 4);
  const timedOutBefore = metric(m, 'cb_rtc_sessions_timed_out_total') ?? 0;
  victim.kill();
  const killedAt = Date.now();
  await waitFor('killed player freed', async () => metric(await metrics(server, L.admin), WHEP) === 3, 30000, 250);
  console.log(`killed player freed ${Date.now() - killedAt} ms after SIGKILL (consent timeout 5 s)`);
  m = await metrics(server, L.admin);
  assert.equal(metric(m, 'cb_rtc_sessions_timed_out_total'), timedOutBefore + 1);

  // The others are unaffected.
  const s1 = await players[1].page.evaluate(() => window.cb.stats());
  await sleep(1000);
  const s2 = await players[1].page.evaluate(() => window.cb.stats());
  assert.ok(s2.framesDecoded > s1.framesDecoded, 'remaining player still decoding');

  // Ending the lesson closes every session.
  const end = await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: L.admin });
  assert.equal(end.status, 200, end.text);
  m = await metrics(server, L.admin);
  assert.equal(metric(m, WHEP), 0);
  assert.equal(metric(m, WHIP), 0);
});
