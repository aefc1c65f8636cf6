// Teacher page: camera + microphone published into the lesson by WHIP
// (`?source=` picks the source name, default "teacher"). Stop sends DELETE.
import { setStatus } from './api.js';
import { lessonPage } from './lessonPage.js';
import { WhipPublisher } from './whip.js';

const params = new URLSearchParams(location.search);
const preview = document.getElementById('preview');
const publisher = new WhipPublisher();
window.cbPublisher = publisher;  // tests read cbPublisher.stats()
let stream = null;

function closeCamera() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  preview.srcObject = null;
}

lessonPage({
  rtc: publisher,
  stateLabel: 'Broadcast',
  startId: 'start',
  stopId: 'stop',
  failText: 'Could not broadcast',
  async start({ lessonId, token, status }) {
    setStatus(status, 'Opening camera…', 'warn');
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } }, audio: true });
      preview.srcObject = stream;
      setStatus(status, 'Connecting…', 'warn');
      await publisher.start(stream, lessonId, params.get('source') || 'teacher', token);
    } catch (e) {
      closeCamera();
      throw e;
    }
  },
  async stop() {
    await publisher.stop();
    closeCamera();
    return 'Stopped.';
  },
  onLesson: (l) => { document.getElementById('title').textContent = `Teaching: ${l.title}`; },
  autostart: params.get('autostart') === '1',
});
