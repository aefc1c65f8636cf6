// WHEP player: receive-only video + audio for a lesson into a <video> element.
import { negotiate, endSession, preferH264 } from './webrtc.js';

export class WhepPlayer {
  constructor(video, onState = () => {}) {
    this.video = video;
    this.onState = onState;
    this.pc = null;
    this.sessionUrl = null;
    this.token = '';
  }

  async start(lessonId, token) {
    this.token = token;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.pc = pc;
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
      this.video.play?.().catch(() => {});
    };
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    preferH264(pc.addTransceiver('video', { direction: 'recvonly' }));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    try {
      this.sessionUrl = await negotiate(pc, `/whep/${encodeURIComponent(lessonId)}`, token);
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
    if (this.video) this.video.srcObject = null;
    await endSession(url, this.token);
  }

  // Counters from getStats() for tests and the status line.
  async stats() {
    const out = { connectionState: this.pc?.connectionState ?? 'closed', framesDecoded: 0,
      audioSamples: 0, totalSamplesReceived: 0, bytesReceived: 0, frameWidth: 0, frameHeight: 0 };
    if (!this.pc) return out;
    const report = await this.pc.getStats();
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.bytesReceived += s.bytesReceived ?? 0;
      if (s.kind === 'video') {
        out.framesDecoded += s.framesDecoded ?? 0;
        out.frameWidth = s.frameWidth ?? out.frameWidth;
        out.frameHeight = s.frameHeight ?? out.frameHeight;
      } else if (s.kind === 'audio') {
        out.totalSamplesReceived += s.totalSamplesReceived ?? 0;
      }
    });
    out.audioSamples = out.totalSamplesReceived;
    return out;
  }
}
