// The frame the teach and watch pages share: a start and a stop button around one
// WebRTC session (WhipPublisher / WhepPlayer), its connection state in the status line,
// the session ended when the page goes away, the lesson fetched for the title.
import { api, session, lessonIdFromUrl, setStatus } from './api.js';

export function connectionClass(state) {
  if (state === 'connected') return 'ok';
  return state === 'failed' || state === 'disconnected' ? 'error' : 'warn';
}

// start(ctx) / stop(ctx) get { lessonId, token, status }; start throws to fail (the
// message is shown after failText), stop returns the status text to show.
export function lessonPage({ rtc, stateLabel, startId, stopId, failText, start, stop, onLesson,
  autostart }) {
  const startButton = document.getElementById(startId);
  const stopButton = document.getElementById(stopId);
  const status = document.getElementById('status');
  const ctx = { lessonId: lessonIdFromUrl(), token: session()?.token, status };
  rtc.onState = (state) => setStatus(status, `${stateLabel}: ${state}`, connectionClass(state));

  async function onStart() {
    startButton.disabled = true;
    setStatus(status, 'Connecting…', 'warn');
    try {
      await start(ctx);
      stopButton.disabled = false;
    } catch (e) {
      setStatus(status, `${failText}: ${e.message}`, 'error');
      startButton.disabled = false;
    }
  }
  async function onStop() {
    stopButton.disabled = true;
    setStatus(status, await stop(ctx));
    startButton.disabled = false;
  }

  if (!ctx.token) {
    location.replace('/');
    return;
  }
  if (!ctx.lessonId) {
    setStatus(status, 'No lesson given (?lesson=ID).', 'error');
    startButton.disabled = true;
    return;
  }
  startButton.addEventListener('click', onStart);
  stopButton.addEventListener('click', onStop);
  addEventListener('pagehide', () => { if (rtc.sessionUrl) rtc.stop(); });
  api('GET', `/api/v1/lessons/${encodeURIComponent(ctx.lessonId)}`).then(onLesson).catch(() => {});
  if (autostart) onStart();
}
