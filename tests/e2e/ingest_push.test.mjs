// Ingest end to end: ffmpeg publishes over RTMP and SRT into a real `classbridge serve`,
// a third source is pulled (test://pattern); headless Chromium plays the lesson over WHEP
// and decodes video and audio; switching the main source changes the decoded resolution.
// Wrong tokens and garbage bytes on both ports are refused without disturbing the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import dgram from 'node:dgram';
import { startServer, makeLiveLesson } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor, metrics } from './whip_whep.lib.mjs';

function ffmpeg(args) {
  const p = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  p.done = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, err })));
  return p;
}

const BASELINE = ['-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'];
const input = (w, h, seconds, freq = 440, video = BASELINE) => ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=30`,
  '-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=48000`, '-t', String(seconds),
  '-c:v', 'libx264', '-preset', 'ultrafast', ...video, '-g', '30', '-c:a', 'aac'];

const rtmp = (server, lesson, token, source, w, h, seconds, video = BASELINE, extra = '') => ffmpeg([...input(w, h, seconds, 440, video), '-f', 'flv',
  `rtmp://127.0.0.1:${server.rtmpPort}/live/${lesson}?token=${token}&source=${source}${extra}`]);
// H.264 WebRTC cannot play: main profile with B-frames (only the frame order shows it), 4:2:2.
const BFRAMES = ['-profile:v', 'main', '-bf', '2', '-pix_fmt', 'yuv420p'];
const HIGH422 = ['-profile:v', 'high422', '-pix_fmt', 'yuv422p'];
const srt = (server, lesson, token, source, w, h, seconds) => ffmpeg([...input(w, h, seconds, 880), '-f', 'mpegts',
  `srt://127.0.0.1:${server.srtPort}?streamid=#!::r=${lesson},m=publish,s=${source},t=${token}`]);

async function videoState(page) {
  return page.evaluate(async () => {
    const out = { frames: 0, width: 0, samples: 0 };
    if (!window.cbPc) return out;
    (await window.cbPc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.frames += s.framesDecoded ?? 0; out.width = s.frameWidth ?? out.width; }
      if (s.kind === 'audio') out.samples += s.totalSamplesReceived ?? 0;
    });
    return out;
  });
}

async function sourceState(server, lessonId, token, name) {
  const r = await server.api('GET', `/api/v1/lessons/${lessonId}/sources`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.find((s) => s.name === name);
}

test('RTMP + SRT + pulled sources into one lesson, main-source switching, refusals, B-frames/4:2:2 refused or transcoded', { timeout: 300000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const procs = [];
  try {
    const w = await makeLiveLesson(server);
    const id = w.lesson.id;
    const tok = w.teacherToken;
    procs.push(rtmp(server, id, tok, 'teacher', 640, 360, 120));
    await waitFor('rtmp source live', async () => (await sourceState(server, id, tok, 'teacher'))?.state === 'live', 60000);

    const page = await openPage(browser, server);
    await page.evaluate(([url, token]) => window.cb.play(url, token), [`/whep/${id}`, w.classroomToken]);
    await waitFor('video and audio decoded from RTMP', async () => {
      const s = await videoState(page);
      return s.frames > 30 && s.samples > 48000 && s.width === 640;
    }, 60000);

    // Wrong token / unknown lesson over RTMP: ffmpeg is refused and exits with an error.
    const bad = await rtmp(server, id, 'not-a-token', 'teacher', 320, 240, 5).done;
    assert.notEqual(bad.code, 0, 'RTMP with a wrong token must fail');
    assert.match(bad.err, /token|unauthor/i);
    const badLesson = await rtmp(server, 999999, tok, 'teacher', 320, 240, 5).done;
    assert.notEqual(badLesson.code, 0);

    // Garbage on the RTMP port: that connection is closed.
    const closed = await new Promise((resolve) => {
      const s = net.connect(server.rtmpPort, '127.0.0.1', () => s.write(Buffer.alloc(4000, 0x42)));
      s.on('close', () => resolve(true));
      s.on('error', () => {});
      setTimeout(() => { s.destroy(); resolve(false); }, 30000);
    });
    assert.ok(closed, 'the server closes a garbage RTMP connection');
    // Garbage datagrams on the SRT port.
    const u = dgram.createSocket('udp4');
    for (let i = 0; i < 100; i++) u.send(Buffer.alloc(200 + i, 0x47), server.srtPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    u.close();

    // SRT: wrong token refused in the handshake; the right one becomes source "srtcam".
    const badSrt = await srt(server, id, 'wrong', 'srtcam', 320, 240, 5).done;
    assert.notEqual(badSrt.code, 0, 'SRT with a wrong token must fail');
    procs.push(srt(server, id, tok, 'srtcam', 480, 270, 120));
    // Third source, pulled.
    const add = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: tok, body: { name: 'board', uri: 'test://pattern?width=320&height=180&pattern=ball' } });
    assert.equal(add.status, 201, add.text);
    await waitFor('srt and pulled sources live', async () => (await sourceState(server, id, tok, 'srtcam'))?.state === 'live'
      && (await sourceState(server, id, tok, 'board'))?.state === 'live', 60000);

    // The RTMP publisher was never disturbed.
    const before = (await videoState(page)).frames;
    await waitFor('player still decoding RTMP', async () => (await videoState(page)).frames > before + 30, 30000);
    const list = (await server.api('GET', `/api/v1/lessons/${id}/sources`, { token: tok })).json;
    assert.deepEqual(list.map((s) => s.name).sort(), ['board', 'srtcam', 'teacher']);
    assert.equal(list.find((s) => s.name === 'teacher').kind, 'rtmp');
    assert.equal(list.find((s) => s.name === 'srtcam').kind, 'srt');

    // Main-source switching: what the player decodes changes (resolution).
    for (const [name, width] of [['srtcam', 480], ['board', 320], ['teacher', 640]]) {
      const r = await server.api('POST', `/api/v1/lessons/${id}/sources/${name}/main`, { token: tok });
      assert.equal(r.status, 200, r.text);
      await waitFor(`player decodes ${name} at width ${width}`, async () => (await videoState(page)).width === width, 45000);
    }
    // A classroom may watch but not switch; unknown source is 404.
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/board/main`, { token: w.classroomToken })).status, 403);
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/nope/main`, { token: tok })).status, 404);

    // B-frames: refused by default with a reason in the API and /metrics, the publisher is
    // hung up on; with transcode=1 in its URL the same stream is re-encoded and plays.
    const bf = rtmp(server, id, tok, 'bframes', 480, 272, 120, BFRAMES);
    procs.push(bf);
    await waitFor('B-frame source failed', async () => (await sourceState(server, id, tok, 'bframes'))?.state === 'failed', 60000);
    assert.match((await sourceState(server, id, tok, 'bframes')).reason, /B-frames.*transcode/);
    assert.notEqual((await bf.done).code, 0, 'the refused publisher is disconnected');
    const h422 = rtmp(server, id, tok, 'h422', 320, 240, 120, HIGH422);
    procs.push(h422);
    await waitFor('4:2:2 source failed', async () => (await sourceState(server, id, tok, 'h422'))?.state === 'failed', 60000);
    assert.match((await sourceState(server, id, tok, 'h422')).reason, /4:2:2/);
    procs.push(rtmp(server, id, tok, 'bft', 560, 320, 120, BFRAMES, '&transcode=1'));
    await waitFor('transcoded B-frame source live', async () => (await sourceState(server, id, tok, 'bft'))?.state === 'live', 60000);
    const bft = await sourceState(server, id, tok, 'bft');
    assert.equal(bft.transcode, true);
    assert.match(bft.video_caps, /constrained-baseline/);
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/bft/main`, { token: tok })).status, 200);
    await waitFor('player decodes the transcoded stream', async () => (await videoState(page)).width === 560, 45000);
    const tf = (await videoState(page)).frames;
    await waitFor('player keeps decoding it', async () => (await videoState(page)).frames > tf + 30, 30000);

    // A publisher that comes back under the same name takes it over: the old connection is
    // dropped, the source stays, and the player (back on it) keeps decoding.
    const first = procs[0];
    const packetsBefore = (await sourceState(server, id, tok, 'teacher')).video_packets;
    procs.push(rtmp(server, id, tok, 'teacher', 640, 360, 120));
    await first.done;
    // A new pipeline counts from zero: fewer packets than the old one had means taken over.
    await waitFor('teacher taken over and live', async () => {
      const t = await sourceState(server, id, tok, 'teacher');
      return t?.state === 'live' && t.video_packets < packetsBefore;
    }, 60000);
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/teacher/main`, { token: tok })).status, 200);
    await waitFor('player decodes the new teacher publisher', async () => (await videoState(page)).width === 640, 45000);
    const tt = (await videoState(page)).frames;
    await waitFor('and keeps decoding it', async () => (await videoState(page)).frames > tt + 30, 30000);

    const m = await metrics(server, w.admin);
    assert.match(m, /cb_ingest_source_state\{[^}]*source="bframes"[^}]*state="failed"\} 1/);
    assert.match(m, /cb_ingest_source_state\{[^}]*source="teacher"[^}]*state="live"\} 1/);
    assert.match(m, /cb_ingest_publish_refused_total\{protocol="rtmp"\} [1-9]/);
    assert.match(m, /cb_ingest_publish_refused_total\{protocol="srt"\} [1-9]/);
  } finally {
    for (const p of procs) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
    await browser.close();
    await server.cleanup();
  }
});
