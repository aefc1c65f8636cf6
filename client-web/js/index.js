// Sign-in and the lesson list, with links by role: classroom terminals watch (WHEP),
// teachers teach (WHIP), admins and staff may do both.
import { api, login, session, clearSession, setStatus } from './api.js';

const $ = (id) => document.getElementById(id);

function showLogin() {
  $('login-form').hidden = false;
  $('lessons').hidden = true;
  $('who').hidden = true;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

async function showLessons() {
  const s = session();
  $('login-form').hidden = true;
  $('lessons').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = `${s.username} (${s.role})`;
  setStatus($('lessons-status'), 'Loading…');
  let lessons;
  try {
    lessons = await api('GET', '/api/v1/lessons');
  } catch (e) {
    if (e.status === 401) { clearSession(); showLogin(); return; }
    setStatus($('lessons-status'), e.message, 'error');
    return;
  }
  const rows = $('lesson-rows');
  rows.replaceChildren();
  const canWatch = ['classroom', 'admin', 'staff'].includes(s.role);
  const canTeach = ['teacher', 'admin'].includes(s.role);
  for (const l of lessons) {
    const tr = document.createElement('tr');
    tr.dataset.lessonId = l.id;
    const cells = [l.title, null, l.mode, l.subject ?? '', l.starts_at ? new Date(l.starts_at).toLocaleString() : ''];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      if (i === 1) {
        const b = document.createElement('span');
        b.className = 'badge' + (l.status === 'live' ? ' live' : '');
        b.textContent = l.status;
        td.append(b);
      } else {
        td.textContent = text ?? '';
      }
      tr.append(td);
    });
    const actions = document.createElement('td');
    if (canWatch) actions.append(link(`/watch.html?lesson=${encodeURIComponent(l.id)}`, 'Watch'));
    if (canTeach) actions.append(link(`/teach.html?lesson=${encodeURIComponent(l.id)}`, 'Teach'));
    tr.append(actions);
    rows.append(tr);
  }
  $('lesson-table').hidden = lessons.length === 0;
  setStatus($('lessons-status'), lessons.length ? `${lessons.length} lesson(s)` : 'No lessons yet.', 'ok');
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-button').disabled = true;
  setStatus($('login-status'), 'Signing in…');
  try {
    await login($('username').value.trim(), $('password').value);
    setStatus($('login-status'), '');
    await showLessons();
  } catch (e) {
    setStatus($('login-status'), e.status === 401 ? 'Wrong username or password.' : e.message, 'error');
  } finally {
    $('login-button').disabled = false;
  }
});

$('logout').addEventListener('click', () => { clearSession(); showLogin(); });

if (session()?.token) showLessons(); else showLogin();
