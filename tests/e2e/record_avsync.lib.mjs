// A/V sync through the real server: ffmpeg publishes a marker source over RTMP (black
// video with one white frame at the start of every second, a 100 ms 1 kHz beep starting
// at the same sample), the lesson is recorded, then tests/tools/avsync.py measures the
// beep-onset minus flash time in the recording and in the post-processed lesson.mp4.
// Used by record_avsync.test.mjs (60 s) and tests/bench/avsync_hour.mjs (one hour).
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeLiveLesson } from './lib/server.mjs';
import { waitFor, recordingDirs, waitProcessed } from './lib/recording.mjs';
import { SOURCE_DIR } from './lib/server.mjs';

// Markers are keyed to frame / sample numbers (not float time) so they are exact.
export const markerInput = (seconds, { width = 320, height = 180, fps = 15 } = {}) => [
  '-re', '-f', 'lavfi', '-i',
  `color=c=black:s=${width}x${height}:r=${fps},` +
    `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(n\\,${fps})\\,1)'`,
  '-re', '-f', 'lavfi', '-i',
  "aevalsrc='if(lt(mod(n\\,48000)\\,4800)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:c=mono",
  '-t', String(seconds),
  // Baseline, no B-frames (the recorder's limit), a keyframe every second, cheap to encode.
  '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
  '-pix_fmt', 'yuv420p', '-g', String(fps), '-c:a', 'aac', '-b:a', '64k'];

export function publishMarkers(server, lessonId, token, seconds, opts = {}) {
  const url = `rtmp://127.0.0.1:${server.rtmpPort}/live/${lessonId}?token=${token}&source=${opts.source ?? 'teacher'}`;
  const p = spawn(opts.nice ? 'nice' : 'ffmpeg',
    [...(opts.nice ? ['-n', String(opts.nice), 'ffmpeg'] : []),
      '-nostdin', '-hide_banner', '-loglevel', 'error', ...markerInput(seconds, opts), '-f', 'flv', url],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  p.done = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, err })));
  return p;
}

export function avsync(file) {
  const out = execFileSync('python3', [join(SOURCE_DIR, 'tests/tools/avsync.py'), file, '--json'],
    { maxBuffer: 64 << 20 });
  return JSON.parse(out.toString());
}

// Records `seconds` of markers into a fresh live lesson; ends it, waits for
// post-processing, and returns the analysis of recording.mp4 and lesson.mp4.
export async function recordMarkers(server, seconds, opts = {}) {
  const world = await makeLiveLesson(server, { record: true });
  const lessonId = world.lesson.id;
  // makeLiveLesson schedules one hour: a run that long is ended by the scheduler (the
  // server then drops the publisher), which is a normal end of the recording.
  const ended = async () => (await server.api('GET', `/api/v1/lessons/${lessonId}`, { token: world.admin })).json?.status === 'ended';
  const pub = publishMarkers(server, lessonId, world.teacherToken, seconds, opts);
  try {
    await waitFor('the recording to start', () => recordingDirs(server.dataDir, lessonId).length > 0, 60000, 200);
    const res = await pub.done;
    if (res.code !== 0 && !(seconds >= 3000 && await ended()))
      throw new Error(`ffmpeg publisher failed (${res.code ?? res.signal}): ${res.err}`);
  } finally {
    if (pub.exitCode === null && pub.signalCode === null) pub.kill('SIGKILL');
  }
  if (!await ended()) {
    const end = await server.api('POST', `/api/v1/lessons/${lessonId}/end`, { token: world.admin });
    if (end.status !== 200) throw new Error(`end lesson: ${end.status} ${end.text}`);
  }
  const dirs = recordingDirs(server.dataDir, lessonId);
  const recs = await waitFor('the recording row finished', async () => {
    const r = await server.api('GET', `/api/v1/lessons/${lessonId}/recordings`, { token: world.admin });
    return r.json?.length && r.json.every((x) => x.state !== 'recording' && x.resource_id) ? r.json : null;
  }, 60000, 500);
  const resource = await waitProcessed(server, world.admin, recs[0].resource_id, opts.processTimeoutMs ?? 120000);
  const lessonMp4 = join(server.dataDir, 'vod', String(resource.id), 'lesson.mp4');
  return { world, dirs, recs, resource,
    recording: avsync(join(dirs[0], 'recording.mp4')), lesson: avsync(lessonMp4) };
}
