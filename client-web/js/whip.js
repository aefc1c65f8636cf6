// WHIP publisher: sends a local MediaStream (camera + microphone) into a lesson.
import { negotiate, endSession, preferH264 } from './webrtc.js';

export class WhipPublisher {
  constructor(onState = () => {}) {
    this.onState = onState;
    this.pc = null;
    this.sessionUrl = null;
    this.token = '';
  }

  async start(stream, lessonId, source, token) {
    this.token = token;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    for (const track of stream.getTracks()) {
      const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      if (track.kind === 'video') preferH264(t);
    }
    const q = source ? `?source=${encodeURIComponent(source)}` : '';
    try {
      this.sessionUrl = await negotiate(pc, `/whip/${encodeURIComponent(lessonId)}${q}`, token);
    } catch (e) {
      pc.close();
      this.pc = null;
      throw e;
    }
    this.onState(pc.connectionState);
  }

  async stop() {
    const url = this.sessionUrl;
    this.sessionUrl = null;
    this.pc?.close();
    this.pc = null;
    await endSession(url, this.token);
  }

  async stats() {
    const out = { connectionState: this.pc?.connectionState ?? 'closed', framesEncoded: 0,
      packetsSent: 0, bytesSent: 0 };
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      out.packetsSent += s.packetsSent ?? 0;
      out.bytesSent += s.bytesSent ?? 0;
      if (s.kind === 'video') out.framesEncoded += s.framesEncoded ?? 0;
    });
    return out;
  }
}
