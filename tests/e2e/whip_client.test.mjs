// Debian's simple-whip-client (GStreamer webrtcbin + libnice) publishes into a lesson from
// inside a network namespace (libnice ignores loopback candidates); a Chromium WHEP
// player on the host decodes its video and audio. whip-client runs with the test-only
// libgupnp-igd stand-in (tests/stubs/gupnp_igd_stub.c) so libsoup 2 and 3 don't meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeLiveLesson, BINARY_DIR } from './lib/server.mjs';
import { join } from 'node:path';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor, metrics, metric, createNetns } from './whip_whep.lib.mjs';

const AUDIO = 'audiotestsrc is-live=true wave=red-noise ! audioconvert ! audioresample ! queue ! opusenc ! rtpopuspay pt=100 ssrc=1 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=100';
const VIDEO = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! video/x-raw,format=I420 ! queue ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=30 ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=96 ssrc=2 config-interval=-1 ! queue ! application/x-rtp,media=video,encoding-name=H264,payload=96';

test('simple-whip-client publishes, Chromium plays by WHEP', { timeout: 180000 }, async (t) => {
  const netns = createNetns();
  let client;
  let clientLog = '';
  let server;
  let browser;
  t.after(async () => {
    if (client && client.exitCode === null) client.kill('SIGKILL');
    if (browser) await browser.close();
    if (server) await server.cleanup();
    netns.destroy();
  });
  server = await startServer({ httpHost: '0.0.0.0' });
  const L = await makeLiveLesson(server);
  const url = `http://${netns.hostIp}:${server.httpPort}/whip/${L.lesson.id}?source=teacher`;
  // One whip-client, no retry: its ICE used to fail under load when its trickle PATCH
  // (same ufrag) was taken for an ICE restart, and its check to our eth0 address was
  // answered from the veth address (both fixed in rtc/; IceTrickleTest, ReplySourceTest).
  client = netns.exec('whip-client', ['-u', url, '-t', L.teacherToken, '-A', AUDIO, '-V', VIDEO, '-l', '4', '-o'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LD_LIBRARY_PATH: join(BINARY_DIR, 'tests/stubs') } });
  client.stdout.on('data', (d) => { clientLog += d; });
  client.stderr.on('data', (d) => { clientLog += d; });
  try {
    await waitFor('whip-client session and media', async () => {
      if (client.exitCode !== null || client.signalCode !== null) throw new Error('whip-client exited');
      const m = await metrics(server, L.admin);
      return metric(m, 'cb_rtc_sessions{kind="whip"}') === 1 && metric(m, 'cb_rtc_router_packets_in_total') > 50;
    }, 45000, 300);
  } catch (e) {
    await new Promise((r) => setTimeout(r, 500));  // let its last output arrive
    throw new Error(`${e.message}\n--- whip-client ---\n${clientLog.slice(-4000)}\n--- server ---\n${server.output.slice(-4000)}`);
  }
  assert.doesNotMatch(clientLog, /ICE failed/, 'whip-client reported ICE failed');
  assert.equal(client.exitCode, null, 'whip-client still running');

  browser = await launchBrowser();
  const player = await openPage(browser, server);
  const t0 = Date.now();
  await player.evaluate(([u, tk]) => window.cb.play(u, tk), [`${server.base}/whep/${L.lesson.id}`, L.classroomToken]);
  const s = await waitFor('player decoding video and audio', async () => {
    const s = await player.evaluate(() => window.cb.stats());
    return s.framesDecoded > 0 && s.totalSamplesReceived > 0 ? s : null;
  }, 30000, 100);
  console.log(`whip-client -> Chromium: video and audio decoded ${Date.now() - t0} ms after the WHEP POST`);
  assert.ok(s.framesDecoded > 0 && s.totalSamplesReceived > 0);
  await waitFor('more frames', async () => (await player.evaluate(() => window.cb.stats())).framesDecoded > s.framesDecoded + 10, 20000);
});
