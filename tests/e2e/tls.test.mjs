// `classbridge serve --tls-self-signed`: HTTPS on the --http port with a certificate made
// into DATA/tls on first start and kept across restarts; checked with curl verifying the
// certificate (name 127.0.0.1) against that file, not with verification turned off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, ADMIN_PASSWORD, freePort, sleep } from './lib/server.mjs';

function curl(args) {
  try {
    return { ok: true, out: execFileSync('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

async function startTls(dataDir, port) {
  const args = ['serve', '--data', dataDir, '--http', `127.0.0.1:${port}`, '--rtc-port', String(await freePort()),
    '--rtmp-port', '0', '--srt-port', '0', '--admin-password', ADMIN_PASSWORD, '--tls-self-signed'];
  const proc = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  const cert = join(dataDir, 'tls', 'self-signed.crt');
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`classbridge exited: ${log}`);
    if (curl(['--cacert', cert, `https://127.0.0.1:${port}/healthz`]).ok) break;
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`no HTTPS: ${log}`); }
    await sleep(200);
  }
  return { proc, cert, exited, stop: async () => { proc.kill('SIGTERM'); return exited; } };
}

test('--tls-self-signed serves HTTPS with a certificate kept in the data dir', { timeout: 120000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-tls-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  let s = await startTls(dataDir, port);
  const base = `https://127.0.0.1:${port}`;

  const health = curl(['--cacert', s.cert, `${base}/healthz`]);
  assert.deepEqual(JSON.parse(health.out), { status: 'ok' });
  const login = curl(['--cacert', s.cert, '-H', 'content-type: application/json',
    '-d', JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }), `${base}/api/v1/login`]);
  assert.equal(JSON.parse(login.out).role, 'admin', login.out);
  assert.ok(!curl([`${base}/healthz`]).ok, 'an unknown self-signed certificate is refused by default');
  const plain = curl(['-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/healthz`]);
  assert.notEqual(plain.out.trim(), '200', 'plain HTTP does not get a 200 on the TLS port');

  const certBefore = readFileSync(s.cert, 'utf8');
  assert.equal(await s.stop(), 0);
  s = await startTls(dataDir, port);
  assert.equal(readFileSync(s.cert, 'utf8'), certBefore, 'the certificate is kept across restarts');
  assert.equal(await s.stop(), 0);
});
