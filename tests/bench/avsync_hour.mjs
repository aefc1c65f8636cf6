// Long A/V sync measurement (docs/BENCHMARKS.md, recording): records SECONDS (default 3600)
// of the RTMP marker source through a real `classbridge serve` and prints the analysis of
// the fMP4 recording and of lesson.mp4 (per-marker offsets into OUT.json if given).
//   CB_BINARY=build/classbridge CB_SOURCE_DIR=. nice -n 10 node tests/bench/avsync_hour.mjs 3600 /tmp/avsync.json
import { writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { startServer } from '../e2e/lib/server.mjs';
import { recordMarkers } from '../e2e/record_avsync.lib.mjs';

const seconds = Number(process.argv[2] ?? 3600);
const out = process.argv[3];
const summary = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'markers'));
const server = await startServer();
try {
  const load0 = execSync('uptime').toString().trim();
  const r = await recordMarkers(server, seconds, { processTimeoutMs: 3 * 3600 * 1000 });
  const load1 = execSync('uptime').toString().trim();
  const report = { seconds, load_start: load0, load_end: load1, recording_duration: r.recs[0].duration,
    recordings: r.recs.length, recording: summary(r.recording), lesson: summary(r.lesson) };
  console.log(JSON.stringify(report, null, 1));
  if (out) writeFileSync(out, JSON.stringify({ ...report, recording: r.recording, lesson: r.lesson }));
} finally {
  await server.cleanup();
}
