// Helpers for the recording / library e2e tests: wait for a lesson's recording files,
// probe them with ffprobe/ffmpeg, and wait for post-processing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './server.mjs';

export async function waitFor(what, fn, timeoutMs = 60000, stepMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

// Directories of the lesson's recordings whose playlist exists (the first keyframe is written).
export function recordingDirs(dataDir, lessonId) {
  const base = join(dataDir, 'recordings', String(lessonId));
  if (!existsSync(base)) return [];
  return readdirSync(base).map((d) => join(base, d)).filter((d) => existsSync(join(d, 'recording.m3u8')));
}

// Directories of the lesson's recordings as soon as a source's first packet reached the
// recorder (its state.json), i.e. where the recording's time 0 lies; the playlist follows
// after the recorder's 1 s start-alignment warm-up.
export function startedDirs(dataDir, lessonId) {
  const base = join(dataDir, 'recordings', String(lessonId));
  if (!existsSync(base)) return [];
  return readdirSync(base).map((d) => join(base, d)).filter((d) => existsSync(join(d, 'state.json')));
}

export function probe(file) {
  const codecs = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name',
    '-of', 'csv=p=0', file]).toString().trim().split('\n');
  const duration = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration',
    '-of', 'csv=p=0', file]).toString().trim());
  const dec = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
  return { codecs, duration, decodeErrors: dec.stderr.toString() + (dec.status !== 0 ? `exit ${dec.status}` : '') };
}

export async function addSource(server, token, lessonId, name = 'teacher', uri = 'test://pattern?width=640&height=360&fps=25') {
  const r = await server.api('POST', `/api/v1/lessons/${lessonId}/sources`, { token, body: { name, uri } });
  if (r.status >= 300) throw new Error(`add source: ${r.status} ${r.text}`);
  return r.json;
}

export async function waitProcessed(server, token, resourceId, timeoutMs = 90000) {
  return waitFor(`resource ${resourceId} processed`, async () => {
    const r = await server.api('GET', `/api/v1/resources/${resourceId}`, { token });
    if (r.json?.processing === 'failed') throw new Error(`processing failed: ${r.text}`);
    return r.json?.processing === 'ready' ? r.json : null;
  }, timeoutMs, 500);
}
