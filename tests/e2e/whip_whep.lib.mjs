// Shared helpers for the WHIP/WHEP end-to-end tests: in-page WebRTC publisher/player code
// (plain RTCPeerConnection, no app code) and /metrics parsing.
import { readdirSync, readFileSync } from 'node:fs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// One Prometheus sample, e.g. metric(text, 'cb_rtc_sessions{kind="whep"}').
export function metric(text, name) {
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ')) return Number(line.slice(name.length + 1));
  }
  return undefined;
}

// Sum of every series of a metric (any labels).
export function metricSum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function metrics(server, token) {
  const r = await server.api('GET', '/metrics', { token });
  return r.text;
}

// Runs in the page: installs window.cb = { publish(url, token), play(url, token), stats() }.
function pageLib() {
  const waitGathering = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 3000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });
  async function exchange(pc, url, token) {
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc);
    window.cbT = { post: performance.now() };
    pc.addEventListener('connectionstatechange', () => { if (pc.connectionState === 'connected') window.cbT.connected = performance.now() - window.cbT.post; });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: 'Bearer ' + token }, body: pc.localDescription.sdp });
    const body = await res.text();
    if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${body}`);
    window.cbT.answer = performance.now() - window.cbT.post;
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    return { location: res.headers.get('location'), answer: body };
  }
  window.cb = {
    async publish(url, token) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 30 } });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) {
        const tr = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        if (track.kind === 'video') {
          const caps = RTCRtpSender.getCapabilities('video').codecs;
          const h264 = caps.filter((c) => c.mimeType.toLowerCase() === 'video/h264');
          tr.setCodecPreferences([...h264, ...caps.filter((c) => c.mimeType.toLowerCase() !== 'video/h264')]);
        }
      }
      window.cbPc = pc;
      return exchange(pc, url, token);
    },
    async play(url, token) {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      // Chromium decodes remote audio only when something plays it: attach to an element.
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      document.body.appendChild(video);
      const stream = new MediaStream();
      video.srcObject = stream;
      pc.addEventListener('track', (e) => { stream.addTrack(e.track); video.play().catch(() => {}); });
      window.cbPc = pc;
      window.cbFirstFrameMs = null;
      window.cbFirstAudioMs = null;
      const r = await exchange(pc, url, token);
      // Poll getStats often: the time from the POST to the first decoded frame / samples.
      const poll = setInterval(async () => {
        const s = await window.cb.stats();
        const now = performance.now() - window.cbT.post;
        if (s.framesDecoded > 0 && window.cbFirstFrameMs === null) window.cbFirstFrameMs = now;
        if (s.totalSamplesReceived > 0 && window.cbFirstAudioMs === null) window.cbFirstAudioMs = now;
        if (window.cbFirstFrameMs !== null && window.cbFirstAudioMs !== null) clearInterval(poll);
      }, 20);
      return r;
    },
    async stats() {
      const out = { framesDecoded: 0, totalSamplesReceived: 0, packetsReceived: 0, nackCount: 0, pliCount: 0, framesSent: 0, bytesSent: 0, state: window.cbPc?.connectionState };
      if (!window.cbPc) return out;
      const report = await window.cbPc.getStats();
      report.forEach((s) => {
        if (s.type === 'inbound-rtp') {
          if (s.kind === 'video') { out.framesDecoded += s.framesDecoded ?? 0; out.nackCount += s.nackCount ?? 0; out.pliCount += s.pliCount ?? 0; }
          if (s.kind === 'audio') out.totalSamplesReceived += s.totalSamplesReceived ?? 0;
          out.packetsReceived += s.packetsReceived ?? 0;
        }
        if (s.type === 'outbound-rtp') {
          out.framesSent += s.framesEncoded ?? 0; out.bytesSent += s.bytesSent ?? 0;
          if (s.kind === 'video') { out.targetBitrate = s.targetBitrate; out.videoBytesSent = (out.videoBytesSent ?? 0) + (s.bytesSent ?? 0); }
        }
        // The sender's bandwidth estimate (GoogCC) on the selected pair.
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && s.availableOutgoingBitrate !== undefined) out.availableOutgoingBitrate = s.availableOutgoingBitrate;
      });
      out.at = performance.now();
      return out;
    },
  };
}

// A page on the server's origin (same-origin fetch) with window.cb installed.
export async function openPage(browser, server) {
  const page = await browser.newPage();
  await page.goto(`${server.base}/healthz`);
  await page.evaluate(pageLib);
  return page;
}

// PIDs of the Chromium processes started with this user data dir (to kill one browser).
export function chromiumPids(userDataDir) {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(userDataDir)) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

// A separate Chromium whose processes we can SIGKILL (a subscriber that dies silently).
export async function launchKillableBrowser() {
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_ARGS } = await import('./lib/browser.mjs');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'cb-chromium-victim-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: false, args: CHROMIUM_ARGS,
  });
  return {
    context, dir,
    newPage: () => context.newPage(),
    kill() { for (const pid of chromiumPids(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } },
    async close() { await context.close().catch(() => {}); rmSync(dir, { recursive: true, force: true }); },
  };
}

// ---- network namespaces (root): a veth pair host 10.88.N.1 <-> namespace 10.88.N.2 ----
import { execFileSync, spawn } from 'node:child_process';

const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export function createNetns({ blockUdp = false } = {}) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const n = 1 + Math.floor(Math.random() * 250);
    const tag = `${process.pid % 10000}${n}`;
    const ns = `cbrt${tag}`;
    const hostIf = `cbh${tag}`;
    const nsIf = `cbn${tag}`;
    const hostIp = `10.88.${n}.1`;
    const nsIp = `10.88.${n}.2`;
    // Another test may hold the subnet: pick another.
    if (sh('ip', ['-4', 'addr']).includes(`10.88.${n}.`)) continue;
    try {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
      sh('ip', ['link', 'set', nsIf, 'netns', ns]);
      sh('ip', ['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
      sh('ip', ['link', 'set', hostIf, 'up']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/24`, 'dev', nsIf]);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      if (blockUdp) {
        // Everything UDP out of the namespace is dropped: only ICE-TCP can work.
        sh('ip', ['netns', 'exec', ns, 'nft', 'add table inet cbblock']);
        sh('ip', ['netns', 'exec', ns, 'nft', 'add chain inet cbblock out { type filter hook output priority 0 ; }']);
        sh('ip', ['netns', 'exec', ns, 'nft', 'add rule inet cbblock out oifname != "lo" meta l4proto udp drop']);
      }
    } catch (e) {
      try { sh('ip', ['link', 'del', hostIf]); } catch { /* not created */ }
      try { sh('ip', ['netns', 'del', ns]); } catch { /* not created */ }
      throw new Error(`network namespace setup failed: ${e.stderr?.toString() ?? e.message}`);
    }
    return {
      ns, hostIp, nsIp,
      exec(cmd, args, opts = {}) { return spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts); },
      destroy() {
        try { sh('ip', ['link', 'del', hostIf]); } catch { /* gone with the ns */ }
        try { sh('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
      },
    };
  }
  throw new Error('no free 10.88.N.0/24 subnet for a test namespace');
}

// Chromium run inside a namespace (a wrapper script as the executable).
export async function launchBrowserInNetns(netns) {
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_ARGS } = await import('./lib/browser.mjs');
  const { mkdtempSync, rmSync, writeFileSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'cb-chromium-ns-'));
  const wrapper = join(dir, 'chromium-in-ns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${netns.ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const profile = join(dir, 'profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper, headless: false, args: CHROMIUM_ARGS,
  });
  return {
    context, dir,
    newPage: () => context.newPage(),
    async close() { await context.close().catch(() => {}); rmSync(dir, { recursive: true, force: true }); },
  };
}
