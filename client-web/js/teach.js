// Teacher page: camera + microphone published into the lesson by WHIP
// (`?source=` picks the source name, default "teacher"). Stop sends DELETE.
import { api, session, lessonIdFromUrl, setStatus } from './api.js';
import { WhipPublisher } from './whip.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const lessonId = lessonIdFromUrl();
const source = params.get('source') || 'teacher';
const s = session();
const status = $('status');
let stream = null;
const publisher = new WhipPublisher((state) => {
  const cls = state === 'connected' ? 'ok' : state === 'failed' || state === 'disconnected' ? 'error' : 'warn';
  setStatus(status, `Broadcast: ${state}`, cls);
});
window.cbPublisher = publisher;  // tests read cbPublisher.stats()

async function start() {
  $('start').disabled = true;
  setStatus(status, 'Opening camera…', 'warn');
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } }, audio: true });
    $('preview').srcObject = stream;
    setStatus(status, 'Connecting…', 'warn');
    await publisher.start(stream, lessonId, source, s.token);
    $('stop').disabled = false;
  } catch (e) {
    setStatus(status, `Could not broadcast: ${e.message}`, 'error');
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    $('start').disabled = false;
  }
}

async function stop() {
  $('stop').disabled = true;
  await publisher.stop();
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  $('preview').srcObject = null;
  setStatus(status, 'Stopped.');
  $('start').disabled = false;
}

if (!s?.token) {
  location.replace('/');
} else if (!lessonId) {
  setStatus(status, 'No lesson given (?lesson=ID).', 'error');
  $('start').disabled = true;
} else {
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  addEventListener('pagehide', () => { if (publisher.sessionUrl) publisher.stop(); });
  api('GET', `/api/v1/lessons/${encodeURIComponent(lessonId)}`)
    .then((l) => { $('title').textContent = `Teaching: ${l.title}`; })
    .catch(() => {});
  if (params.get('autostart') === '1') start();
}
