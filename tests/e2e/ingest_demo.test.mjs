// `classbridge demo` shows a live lesson: its "teacher" source is test://pattern and a
// member classroom's WHEP player in Chromium decodes 720p video and the tone. And a
// lesson's pulled sources are torn down completely when it ends (thread count returns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, makeLiveLesson } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, waitFor, metrics } from './whip_whep.lib.mjs';

const threads = (pid) => readdirSync(`/proc/${pid}/task`).length;

async function media(page) {
  return page.evaluate(async () => {
    const out = { frames: 0, width: 0, samples: 0 };
    (await window.cbPc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.frames += s.framesDecoded ?? 0; out.width = s.frameWidth ?? out.width; }
      if (s.kind === 'audio') out.samples += s.totalSamplesReceived ?? 0;
    });
    return out;
  });
}

test('demo lesson is fed by test://pattern and plays in Chromium', { timeout: 240000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-e2e-demo-'));
  const server = await startServer({ command: 'demo', dataDir, startTimeoutMs: 90000 });
  const browser = await launchBrowser();
  try {
    const room = await server.login('classroom-a', 'classbridge-demo');
    const live = (await server.api('GET', '/api/v1/lessons?status=live', { token: room })).json;
    assert.equal(live.length, 1);
    const id = live[0].id;
    await waitFor('demo source live', async () => {
      const r = await server.api('GET', `/api/v1/lessons/${id}/sources`, { token: room });
      const t = r.json?.find((s) => s.name === 'teacher');
      return t && t.uri === 'test://pattern' && t.state === 'live';
    }, 60000);
    const page = await openPage(browser, server);
    await page.evaluate(([url, token]) => window.cb.play(url, token), [`/whep/${id}`, room]);
    await waitFor('720p video and the tone decoded', async () => {
      const m = await media(page);
      return m.frames > 30 && m.width === 1280 && m.samples > 48000;
    }, 60000);
  } finally {
    await browser.close();
    await server.stop('SIGTERM', 120000);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('ending a lesson tears its pulled sources down (threads return)', { timeout: 240000 }, async () => {
  const server = await startServer();
  try {
    const w = await makeLiveLesson(server);
    const id = w.lesson.id;
    await new Promise((r) => setTimeout(r, 1000));
    const before = threads(server.proc.pid);
    for (const name of ['a', 'b']) {
      const r = await server.api('POST', `/api/v1/lessons/${id}/sources`, { token: w.teacherToken, body: { name, uri: 'test://pattern?width=160&height=120' } });
      assert.equal(r.status, 201, r.text);
    }
    await waitFor('sources live', async () => {
      const r = await server.api('GET', `/api/v1/lessons/${id}/sources`, { token: w.teacherToken });
      return r.json.filter((s) => s.state === 'live').length === 2;
    }, 60000);
    const during = threads(server.proc.pid);
    assert.ok(during >= before + 4, `two pipelines run threads (${before} -> ${during})`);
    assert.equal((await server.api('POST', `/api/v1/lessons/${id}/end`, { token: w.admin })).status, 200);
    // GStreamer's task pool may keep an idle thread or two for reuse.
    await waitFor(`threads back near ${before} (now ${threads(server.proc.pid)})`, async () => threads(server.proc.pid) <= before + 2, 30000);
    const m = await metrics(server, w.admin);
    assert.doesNotMatch(m, new RegExp(`cb_ingest_source_state\\{lesson="${id}"`));
  } finally {
    await server.cleanup();
  }
});
