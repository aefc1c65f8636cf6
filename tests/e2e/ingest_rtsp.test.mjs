// Pull end to end: a GStreamer RTSP server (tests/tools/rtsp_test_server) as the
// camera, pulled over TCP and UDP; the camera restarts: the source goes retrying, then
// live, and the WHEP player in Chromium resumes decoding without renegotiating.
// Then an rtmp:// pull from ffmpeg acting as an RTMP server (`-listen 1`), which also
// goes away and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startServer, makeLiveLesson, freePort, BINARY_DIR } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor } from './whip_whep.lib.mjs';

function camera(port) {
  const p = spawn(join(BINARY_DIR, 'tests/tools/rtsp_test_server'), [String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  p.ready = new Promise((resolve, reject) => {
    p.stdout.on('data', (d) => { if (d.toString().includes('ready')) resolve(); });
    p.on('exit', (code) => reject(new Error(`rtsp_test_server exited ${code}`)));
  });
  p.ready.catch(() => {});
  return p;
}

// ffmpeg as an RTMP server: it waits for one client (our rtmp2src) and plays out to it.
function rtmpServer(port) {
  const p = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=400x224:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=44100',
    '-t', '150', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
    '-pix_fmt', 'yuv420p', '-g', '30', '-c:a', 'aac', '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/x`],
  { stdio: ['ignore', 'ignore', 'ignore'] });
  return p;
}

async function videoStats(page) {
  return page.evaluate(async () => {
    const out = { frames: 0, width: 0 };
    (await window.cbPc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') { out.frames += s.framesDecoded ?? 0; out.width = s.frameWidth ?? out.width; }
    });
    return out;
  });
}
const frames = async (page) => (await videoStats(page)).frames;

async function state(server, id, token, name) {
  const r = await server.api('GET', `/api/v1/lessons/${id}/sources`, { token });
  return r.json?.find((s) => s.name === name);
}

test('RTSP over TCP and UDP and rtmp:// pull; server restarts -> retrying -> live, player resumes', { timeout: 300000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const port = await freePort();
  let cam = camera(port);
  let rtmpSrv = null;
  try {
    await cam.ready;
    const w = await makeLiveLesson(server);
    const id = w.lesson.id;
    const tok = w.teacherToken;
    for (const [name, transport] of [['cam', 'tcp'], ['camudp', 'udp']]) {
      const r = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: tok, body: { name, uri: `rtsp://127.0.0.1:${port}/test?transport=${transport}` } });
      assert.equal(r.status, 201, r.text);
    }
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/cam/main`, { token: tok })).status, 200);
    await waitFor('both RTSP sources live', async () => (await state(server, id, tok, 'cam'))?.state === 'live'
      && (await state(server, id, tok, 'camudp'))?.state === 'live', 60000);
    const page = await openPage(browser, server);
    await page.evaluate(([url, token]) => window.cb.play(url, token), [`/whep/${id}`, w.classroomToken]);
    await waitFor('player decodes the RTSP camera', async () => (await frames(page)) > 30, 60000);

    cam.kill('SIGKILL');
    await waitFor('source retrying after the camera went away', async () => (await state(server, id, tok, 'cam'))?.state === 'retrying', 40000);
    const s = await state(server, id, tok, 'cam');
    assert.ok(s.reason, 'a retrying source says why');
    cam = camera(port);
    await cam.ready;
    await waitFor('source live again', async () => (await state(server, id, tok, 'cam'))?.state === 'live', 60000);
    const before = await frames(page);
    await waitFor('player resumes', async () => (await frames(page)) > before + 30, 45000);
    assert.ok((await state(server, id, tok, 'cam')).restarts >= 1);

    // Bad input is refused with clear 4xx and changes nothing.
    const bad = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: tok, body: { name: 'x', uri: 'ftp://nope' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_uri');
    const dup = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: tok, body: { name: 'cam', uri: 'test://pattern' } });
    assert.equal(dup.status, 409);
    const forbidden = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: w.classroomToken, body: { name: 'y', uri: 'test://pattern' } });
    assert.equal(forbidden.status, 403);
    const del = await server.api('DELETE', `/api/v1/lessons/${id}/sources/camudp`, { token: tok });
    assert.equal(del.status, 204);
    assert.equal(await state(server, id, tok, 'camudp'), undefined);

    // rtmp:// pull: the player sees its 400x224 picture once it is the main source.
    const rport = await freePort();
    rtmpSrv = rtmpServer(rport);
    const addRtmp = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: tok, body: { name: 'box', uri: `rtmp://127.0.0.1:${rport}/live/x` } });
    assert.equal(addRtmp.status, 201, addRtmp.text);
    await waitFor('rtmp pull live', async () => (await state(server, id, tok, 'box'))?.state === 'live', 60000);
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/sources/box/main`, { token: tok })).status, 200);
    await waitFor('player decodes the pulled RTMP stream', async () => (await videoStats(page)).width === 400, 45000);
    // The RTMP server goes away: retrying with a reason; it comes back: live, player resumes.
    rtmpSrv.kill('SIGKILL');
    await waitFor('rtmp pull retrying', async () => (await state(server, id, tok, 'box'))?.state === 'retrying', 40000);
    assert.ok((await state(server, id, tok, 'box')).reason, 'a retrying rtmp source says why');
    rtmpSrv = rtmpServer(rport);
    await waitFor('rtmp pull live again', async () => (await state(server, id, tok, 'box'))?.state === 'live', 60000);
    const again = await frames(page);
    await waitFor('player resumes the RTMP stream', async () => (await frames(page)) > again + 30, 45000);
    assert.equal((await videoStats(page)).width, 400);
    assert.ok((await state(server, id, tok, 'box')).restarts >= 1);
  } finally {
    rtmpSrv?.kill('SIGKILL');
    cam.kill('SIGKILL');
    await browser.close();
    await server.cleanup();
  }
});
