// WHIP publisher: sends a local MediaStream (camera + microphone) into a lesson.
import { WebRtcSession, preferH264 } from './webrtc.js';

export class WhipPublisher extends WebRtcSession {
  async start(stream, lessonId, source, token) {
    const q = source ? `?source=${encodeURIComponent(source)}` : '';
    await this.open(`/whip/${encodeURIComponent(lessonId)}${q}`, token, (pc) => {
      for (const track of stream.getTracks()) {
        const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        if (track.kind === 'video') preferH264(t);
      }
    });
  }

  async stop() { await this.close(); }

  async stats() {
    return this.sumStats('outbound-rtp', { framesEncoded: 0, packetsSent: 0, bytesSent: 0 },
      (o, s) => {
        o.packetsSent += s.packetsSent ?? 0;
        o.bytesSent += s.bytesSent ?? 0;
        if (s.kind === 'video') o.framesEncoded += s.framesEncoded ?? 0;
      });
  }
}
