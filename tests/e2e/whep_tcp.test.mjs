// ICE over TCP only: a Chromium WHEP player in a network namespace whose outgoing UDP is
// dropped (nftables) plays a lesson published by Chromium over UDP on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeLiveLesson } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor, metrics, metricSum, createNetns, launchBrowserInNetns } from './whip_whep.lib.mjs';

test('WHEP over ICE-TCP when UDP is blocked', { timeout: 180000 }, async (t) => {
  const netns = createNetns({ blockUdp: true });
  let server, hostBrowser, nsBrowser;
  t.after(async () => {
    if (nsBrowser) await nsBrowser.close();
    if (hostBrowser) await hostBrowser.close();
    if (server) await server.cleanup();
    netns.destroy();
  });
  server = await startServer({ httpHost: '0.0.0.0' });
  const L = await makeLiveLesson(server);

  hostBrowser = await launchBrowser();
  const pub = await openPage(hostBrowser, server);
  await pub.evaluate(([u, tk]) => window.cb.publish(u, tk), [`${server.base}/whip/${L.lesson.id}?source=teacher`, L.teacherToken]);
  await waitFor('publisher sending', async () => (await pub.evaluate(() => window.cb.stats())).framesSent > 10, 30000);

  nsBrowser = await launchBrowserInNetns(netns);
  const nsServer = { base: `http://${netns.hostIp}:${server.httpPort}` };
  const player = await openPage(nsBrowser, nsServer);
  const t0 = Date.now();
  const r = await player.evaluate(([u, tk]) => window.cb.play(u, tk), [`${nsServer.base}/whep/${L.lesson.id}`, L.classroomToken]);
  assert.match(r.answer, / tcp .* typ host tcptype passive/i, 'the answer offers ICE-TCP candidates');
  const s = await waitFor('player over TCP decoding video and audio', async () => {
    const s = await player.evaluate(() => window.cb.stats());
    return s.framesDecoded > 0 && s.totalSamplesReceived > 0 ? s : null;
  }, 40000, 100);
  console.log(`ICE-TCP player: video and audio decoded ${Date.now() - t0} ms after its POST`);
  // The selected pair really is TCP.
  const proto = await player.evaluate(async () => {
    const stats = await window.cbPc.getStats();
    let pair; stats.forEach((x) => { if (x.type === 'transport' && x.selectedCandidatePairId) pair = stats.get(x.selectedCandidatePairId); });
    return pair ? stats.get(pair.remoteCandidateId)?.protocol : undefined;
  });
  assert.equal(proto, 'tcp');
  const m = await metrics(server, L.admin);
  assert.ok(metricSum(m, 'cb_rtc_tcp_connections_total') >= 1);
  assert.ok(s.framesDecoded > 0);
});
