// Classroom terminal: plays a lesson by WHEP. Joins on load (terminals run unattended);
// Leave/unload sends DELETE so the server frees the session at once.
import { api, session, lessonIdFromUrl, setStatus } from './api.js';
import { WhepPlayer } from './whep.js';

const $ = (id) => document.getElementById(id);
const lessonId = lessonIdFromUrl();
const s = session();
const status = $('status');
const player = new WhepPlayer($('video'), (state) => {
  const cls = state === 'connected' ? 'ok' : state === 'failed' || state === 'disconnected' ? 'error' : 'warn';
  setStatus(status, `Connection: ${state}`, cls);
});
window.cbPlayer = player;  // tests read cbPlayer.stats()

async function join() {
  $('join').disabled = true;
  setStatus(status, 'Connecting…', 'warn');
  try {
    await player.start(lessonId, s.token);
    $('leave').disabled = false;
  } catch (e) {
    setStatus(status, `Could not join: ${e.message}`, 'error');
    $('join').disabled = false;
  }
}

async function leave() {
  $('leave').disabled = true;
  await player.stop();
  setStatus(status, 'Left the lesson.');
  $('join').disabled = false;
}

if (!s?.token) {
  location.replace('/');
} else if (!lessonId) {
  setStatus(status, 'No lesson given (?lesson=ID).', 'error');
  $('join').disabled = true;
} else {
  $('join').addEventListener('click', join);
  $('leave').addEventListener('click', leave);
  addEventListener('pagehide', () => { if (player.sessionUrl) player.stop(); });
  api('GET', `/api/v1/lessons/${encodeURIComponent(lessonId)}`)
    .then((l) => { $('title').textContent = l.title; document.title = `${l.title} · ClassBridge`; })
    .catch(() => {});
  join();
}
