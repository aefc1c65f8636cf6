// The one WHIP/WHEP offer/answer exchange (RFC 9725 style, non-trickle): create the offer,
// wait for ICE gathering to finish so the offer carries every candidate, POST it as
// application/sdp, apply the answer. Returns the session URL from Location (for DELETE).
import { errorFrom } from './api.js';

export function waitIceGathering(pc, timeoutMs = 5000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', check); resolve(); };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    // Whatever was gathered by then is enough on a LAN; the server is ICE-lite anyway.
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export async function negotiate(pc, endpoint, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitIceGathering(pc);
  const headers = { 'content-type': 'application/sdp' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
  if (res.status !== 201 && res.status !== 200) throw await errorFrom(res);
  const location = res.headers.get('location');
  const answer = await res.text();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return location ? new URL(location, new URL(endpoint, window.location.href)).href : null;
}

// Ends a WHIP/WHEP session on the server; keepalive lets it finish during page unload.
export async function endSession(sessionUrl, token) {
  if (!sessionUrl) return;
  const headers = token ? { authorization: 'Bearer ' + token } : {};
  try { await fetch(sessionUrl, { method: 'DELETE', headers, keepalive: true }); } catch { /* gone */ }
}

// Puts H.264 first so a server that only forwards H.264 gets it whatever the browser's
// default order; other codecs stay as fallbacks.
export function preferH264(transceiver) {
  try {
    const caps = RTCRtpReceiver.getCapabilities?.('video');
    if (!caps || !transceiver.setCodecPreferences) return;
    const isH264 = (c) => c.mimeType.toLowerCase() === 'video/h264';
    const h264 = caps.codecs.filter(isH264);
    if (h264.length) transceiver.setCodecPreferences([...h264, ...caps.codecs.filter((c) => !isH264(c))]);
  } catch { /* the browser's own order still includes H.264 */ }
}

// What the WHIP publisher and the WHEP player share: one RTCPeerConnection negotiated
// against an endpoint, its state reported, the server session ended on close().
export class WebRtcSession {
  constructor(onState = () => {}) {
    this.onState = onState;
    this.pc = null;
    this.sessionUrl = null;
    this.token = '';
  }

  // addMedia(pc) adds tracks / transceivers before the offer is made.
  async open(endpoint, token, addMedia) {
    this.token = token;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    addMedia(pc);
    try {
      this.sessionUrl = await negotiate(pc, endpoint, token);
    } catch (e) {
      pc.close();
      this.pc = null;
      throw e;
    }
    this.onState(pc.connectionState);
  }

  async close() {
    const url = this.sessionUrl;
    this.sessionUrl = null;
    this.pc?.close();
    this.pc = null;
    await endSession(url, this.token);
  }

  // Adds every getStats() entry of `type` into `counters` (for tests and status lines).
  async sumStats(type, counters, add) {
    const out = { connectionState: this.pc?.connectionState ?? 'closed', ...counters };
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((s) => { if (s.type === type) add(out, s); });
    return out;
  }
}
