// A/V sync of a WebRTC (WHIP) publisher's recording (docs/BENCHMARKS.md, recording):
// Debian's simple-whip-client (GStreamer webrtcbin, in a network namespace as in
// tests/e2e/whip_client.test.mjs) publishes a marker file (white frame + beep onset at
// every whole second, H.264 baseline + Opus, made by ffmpeg) paced by the pipeline clock;
// the lesson is recorded, ended, post-processed; tests/tools/avsync.py measures both files.
//   CB_BINARY=build/classbridge CB_SOURCE_DIR=. CB_BINARY_DIR=build node tests/bench/avsync_whip.mjs [SECONDS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, makeLiveLesson, BINARY_DIR, sleep } from '../e2e/lib/server.mjs';
import { createNetns } from '../e2e/whip_whep.lib.mjs';
import { waitFor, recordingDirs, waitProcessed } from '../e2e/lib/recording.mjs';
import { markerInput, avsync } from '../e2e/record_avsync.lib.mjs';

const seconds = Number(process.argv[2] ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'cb-avsync-whip-'));
const file = join(dir, 'markers.mp4');
execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...markerInput(seconds).filter((a) => a !== '-re')
  .map((a) => (a === 'aac' ? 'libopus' : a)), '-ac', '2', file]);
const pace = 'identity sync=true';
const VIDEO = `filesrc location=${file} ! qtdemux name=d d.video_0 ! h264parse ! ${pace} ! rtph264pay pt=96 ssrc=2 config-interval=-1 ! queue ! application/x-rtp,media=video,encoding-name=H264,payload=96`;
const AUDIO = `filesrc location=${file} ! qtdemux name=e e.audio_0 ! opusparse ! ${pace} ! rtpopuspay pt=100 ssrc=1 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=100`;
const summary = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'markers'));

const netns = createNetns();
const server = await startServer({ httpHost: '0.0.0.0' });
let client;
try {
  const w = await makeLiveLesson(server, { record: true });
  const url = `http://${netns.hostIp}:${server.httpPort}/whip/${w.lesson.id}?source=teacher`;
  client = netns.exec('whip-client', ['-u', url, '-t', w.teacherToken, '-A', AUDIO, '-V', VIDEO, '-l', '2', '-o'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LD_LIBRARY_PATH: join(BINARY_DIR, 'tests/stubs') } });
  let log = '';
  client.stdout.on('data', (d) => { log += d; });
  client.stderr.on('data', (d) => { log += d; });
  await waitFor('the recording to start', () => recordingDirs(server.dataDir, w.lesson.id).length > 0, 60000, 200)
    .catch((e) => { throw new Error(`${e.message}\n--- whip-client ---\n${log.slice(-3000)}\n--- server ---\n${server.output.slice(-3000)}`); });
  await sleep(seconds * 1000);
  const end = await server.api('POST', `/api/v1/lessons/${w.lesson.id}/end`, { token: w.admin });
  if (end.status !== 200) throw new Error(end.text);
  const recs = await waitFor('finished', async () => {
    const r = await server.api('GET', `/api/v1/lessons/${w.lesson.id}/recordings`, { token: w.admin });
    return r.json?.length && r.json.every((x) => x.state !== 'recording' && x.resource_id) ? r.json : null;
  }, 60000, 500);
  const res = await waitProcessed(server, w.admin, recs[0].resource_id, 300000);
  const rec = avsync(join(recordingDirs(server.dataDir, w.lesson.id)[0], 'recording.mp4'));
  const les = avsync(join(server.dataDir, 'vod', String(res.id), 'lesson.mp4'));
  console.log(JSON.stringify({ seconds, load: execFileSync('uptime').toString().trim(),
    recording: summary(rec), lesson: summary(les), offsets: rec.markers.map((m) => m.offset_ms) }, null, 1));
} finally {
  if (client && client.exitCode === null) client.kill('SIGKILL');
  await server.cleanup();
  netns.destroy();
  rmSync(dir, { recursive: true, force: true });
}
