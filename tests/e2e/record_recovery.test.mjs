// Crash safety and joins: kill -9 of the server while recording, then a restart closes the
// recording and it plays; a source dropped for 5 s and restored continues one recording
// whose duration is the wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeLiveLesson, sleep } from './lib/server.mjs';
import { waitFor, recordingDirs, startedDirs, probe, addSource, waitProcessed } from './lib/recording.mjs';

// A live, recorded lesson fed by a test source, once its recording has started.
async function recordingLesson(server) {
  const world = await makeLiveLesson(server, { record: true });
  const lessonId = world.lesson.id;
  await addSource(server, world.admin, lessonId);
  await waitFor('the recording to start', () => recordingDirs(server.dataDir, lessonId).length > 0, 60000, 100);
  return { world, lessonId };
}

test('kill -9 while recording: after a restart the recording is closed and plays >= 8 s', { timeout: 180000 }, async () => {
  let server = await startServer({ keepData: true });
  const dataDir = server.dataDir;
  try {
    const { world, lessonId } = await recordingLesson(server);
    const dir = recordingDirs(dataDir, lessonId)[0];
    // 10 s of media after the first keyframe, plus a little for a loaded machine's lag.
    await sleep(11000);
    await server.stop('SIGKILL');

    server = await startServer({ dataDir });
    const recs = await waitFor('the recovered recording', async () => {
      const r = await server.api('GET', `/api/v1/lessons/${lessonId}/recordings`, { token: world.admin });
      return r.json?.find((x) => x.recovered) ? r.json : null;
    }, 30000);
    const first = recs.find((x) => x.recovered);
    assert.equal(first.state, 'finished');
    assert.ok(first.duration >= 8, `recovered duration ${first.duration}`);
    const p = probe(join(dir, 'recording.mp4'));
    assert.ok(p.duration >= 8, `ffprobe duration ${p.duration}`);
    assert.ok(p.codecs.some((c) => c.startsWith('h264')));
    assert.equal(p.decodeErrors, '');
    assert.equal(probe(join(dir, 'recording.m3u8')).decodeErrors, '');
    assert.ok(first.resource_id, 'the recovered recording enters the library');
    const metrics = (await server.api('GET', '/metrics', { token: world.admin })).text;
    assert.match(metrics, /cb_recordings_recovered_total 1/);
    // The lesson is still live after the restart, so it is recorded again; ending it
    // finishes that second recording.
    assert.equal((await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: world.admin })).status, 200);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a source dropped for 5 s and restored: one recording, as long as the wall time', { timeout: 180000 }, async () => {
  const server = await startServer();
  try {
    const world = await makeLiveLesson(server, { record: true });
    const lessonId = world.lesson.id;
    const src = await addSource(server, world.admin, lessonId);
    await waitFor('the recording to start', () => startedDirs(server.dataDir, lessonId).length > 0, 60000, 50);
    const t0 = Date.now();
    await sleep(6000);
    const del = await server.api('DELETE', `/api/v1/lessons/${lessonId}/sources/${src.id}`, { token: world.admin });
    assert.ok(del.status < 300, del.text);
    await sleep(5000);
    await addSource(server, world.admin, lessonId);
    await sleep(6000);
    const end = await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: world.admin });
    assert.equal(end.status, 200);
    const wall = (Date.now() - t0) / 1000;
    const dirs = recordingDirs(server.dataDir, lessonId);
    assert.equal(dirs.length, 1, 'one recording');
    const p = probe(join(dirs[0], 'recording.mp4'));
    assert.equal(p.decodeErrors, '');
    // The restored source starts with a keyframe a moment after it is added: allow for it.
    assert.ok(Math.abs(p.duration - wall) <= 1.5, `duration ${p.duration} vs wall ${wall}`);
    const recs = await server.api('GET', `/api/v1/lessons/${lessonId}/recordings`, { token: world.admin });
    assert.equal(recs.json.length, 1);
  } finally {
    await server.cleanup();
  }
});

test('post-processing cut short by kill -9 runs again after the restart', { timeout: 240000 }, async () => {
  let server = await startServer({ keepData: true });
  const dataDir = server.dataDir;
  try {
    const { world, lessonId } = await recordingLesson(server);
    await sleep(8000);
    assert.equal((await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: world.admin })).status, 200);
    const resourceId = await waitFor('the draft resource', async () => {
      const r = await server.api('GET', `/api/v1/lessons/${lessonId}/recordings`, { token: world.admin });
      return r.json?.[0]?.resource_id;
    }, 30000, 50);
    // Kill while the job is queued or running (ffmpeg children are mid-way).
    const state = await waitFor('the job to be picked up', async () => {
      const r = await server.api('GET', `/api/v1/resources/${resourceId}`, { token: world.admin });
      return ['running', 'ready'].includes(r.json?.processing) ? r.json.processing : null;
    }, 60000, 20);
    await server.stop('SIGKILL');
    console.log(`killed with processing '${state}'`);

    server = await startServer({ dataDir });
    const done = await waitProcessed(server, world.admin, resourceId, 180000);
    assert.ok(done.duration >= 7, `duration ${done.duration}`);
    const mp4 = probe(join(dataDir, 'vod', String(resourceId), 'lesson.mp4'));
    assert.deepEqual(mp4.codecs.map((c) => c.split(',')[0]).sort(), ['aac', 'h264']);
    assert.equal(mp4.decodeErrors, '');
    assert.equal(probe(join(dataDir, 'vod', String(resourceId), 'index.m3u8')).decodeErrors, '');
    assert.ok(!existsSync(join(dataDir, 'vod', `${resourceId}.work`)), 'no half-built output is left');
    if (state === 'running') assert.match(server.output, new RegExp(`resource ${resourceId} processed`));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
