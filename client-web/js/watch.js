// Classroom terminal: plays a lesson by WHEP. Joins on load (terminals run unattended);
// Leave/unload sends DELETE so the server frees the session at once.
import { lessonPage } from './lessonPage.js';
import { WhepPlayer } from './whep.js';

const player = new WhepPlayer(document.getElementById('video'));
window.cbPlayer = player;  // tests read cbPlayer.stats()

lessonPage({
  rtc: player,
  stateLabel: 'Connection',
  startId: 'join',
  stopId: 'leave',
  failText: 'Could not join',
  start: ({ lessonId, token }) => player.start(lessonId, token),
  async stop() {
    await player.stop();
    return 'Left the lesson.';
  },
  onLesson: (l) => {
    document.getElementById('title').textContent = l.title;
    document.title = `${l.title} · ClassBridge`;
  },
  autostart: true,
});
