// A/V sync of recordings: ffmpeg publishes a marker source over RTMP (a white frame and a
// beep onset at every whole second) into a real `classbridge serve` for 60 s; the fMP4
// recording and the post-processed lesson.mp4 must have the beep within 40 ms of the
// flash at every marker (issue 5: "audio and video stay in sync within 40 ms").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/server.mjs';
import { markerInput, avsync, recordMarkers } from './record_avsync.lib.mjs';

const SECONDS = 60;

function checkSync(name, r) {
  // Markers at whole seconds; the first (t = 0) has no silence before it, and a loaded
  // machine may lose a second at the start while the publisher connects.
  assert.ok(r.markers.length >= SECONDS - 8, `${name}: ${r.markers.length} markers ` +
    `(${r.flashes} flashes, ${r.beeps} beeps)`);
  const bad = r.markers.filter((m) => Math.abs(m.offset_ms) > 40);
  assert.deepEqual(bad, [], `${name}: markers out of sync (mean ${r.mean_ms} ms)`);
}

test('the analysis measures a known offset (so the sync test can fail)', { timeout: 60000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-avsync-'));
  try {
    // The marker source itself, written to a file with the audio delayed by 100 ms.
    const args = markerInput(6).filter((a) => a !== '-re');
    const file = join(dir, 'late.mp4');
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, '-af', 'adelay=100', file]);
    const r = avsync(file);
    assert.ok(r.markers.length >= 4, JSON.stringify(r));
    assert.ok(Math.abs(r.mean_ms - 100) <= 2, `measured ${r.mean_ms} ms for a 100 ms delay`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`RTMP marker source recorded for ${SECONDS} s: A/V within 40 ms at every marker`, { timeout: 400000 }, async () => {
  const server = await startServer();
  try {
    const r = await recordMarkers(server, SECONDS);
    assert.equal(r.recs.length, 1, 'one recording');
    const summary = (x) => JSON.stringify(Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'markers')));
    console.log(`recording.mp4: ${summary(r.recording)}\nlesson.mp4: ${summary(r.lesson)}`);
    checkSync('recording.mp4', r.recording);
    checkSync('lesson.mp4', r.lesson);
  } finally {
    await server.cleanup();
  }
});
