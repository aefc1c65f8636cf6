// WHEP player: receive-only video + audio for a lesson into a <video> element.
import { WebRtcSession, preferH264 } from './webrtc.js';

export class WhepPlayer extends WebRtcSession {
  constructor(video, onState = () => {}) {
    super(onState);
    this.video = video;
  }

  async start(lessonId, token) {
    const stream = new MediaStream();
    await this.open(`/whep/${encodeURIComponent(lessonId)}`, token, (pc) => {
      pc.ontrack = (e) => {
        stream.addTrack(e.track);
        if (this.video.srcObject !== stream) this.video.srcObject = stream;
        this.video.play?.().catch(() => {});
      };
      preferH264(pc.addTransceiver('video', { direction: 'recvonly' }));
      pc.addTransceiver('audio', { direction: 'recvonly' });
    });
  }

  async stop() {
    if (this.video) this.video.srcObject = null;
    await this.close();
  }

  // Counters from getStats() for tests and the status line.
  async stats() {
    const out = await this.sumStats('inbound-rtp', { framesDecoded: 0, totalSamplesReceived: 0,
      bytesReceived: 0, frameWidth: 0, frameHeight: 0 }, (o, s) => {
      o.bytesReceived += s.bytesReceived ?? 0;
      if (s.kind === 'video') {
        o.framesDecoded += s.framesDecoded ?? 0;
        o.frameWidth = s.frameWidth ?? o.frameWidth;
        o.frameHeight = s.frameHeight ?? o.frameHeight;
      } else if (s.kind === 'audio') {
        o.totalSamplesReceived += s.totalSamplesReceived ?? 0;
      }
    });
    out.audioSamples = out.totalSamplesReceived;
    return out;
  }
}
