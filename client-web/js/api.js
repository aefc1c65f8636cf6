// Session and REST helpers shared by every page. The bearer token lives in sessionStorage
// (per tab, gone when the tab closes); a `?token=` URL parameter overrides it so classroom
// terminals can be opened with a device token.
const KEY = 'classbridge.session';

export function session() {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) return { token: fromUrl, role: '', username: '' };
  try { return JSON.parse(sessionStorage.getItem(KEY)) ?? null; } catch { return null; }
}

export function saveSession(s) { sessionStorage.setItem(KEY, JSON.stringify(s)); }
export function clearSession() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// Turns a non-2xx response into an ApiError carrying the server's {"error":{code,message}}.
export async function errorFrom(res) {
  let code = 'http_' + res.status, message = res.statusText || ('HTTP ' + res.status);
  try {
    const j = await res.json();
    if (j && j.error) { code = j.error.code ?? code; message = j.error.message ?? message; }
  } catch { /* not JSON */ }
  return new ApiError(res.status, code, message);
}

export async function api(method, path, body) {
  const headers = {};
  const s = session();
  if (s?.token) headers.authorization = 'Bearer ' + s.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : res.json();
}

export async function login(username, password) {
  const r = await api('POST', '/api/v1/login', { username, password });
  saveSession({ token: r.token, role: r.role, username: r.username ?? username });
  return r;
}

export function lessonIdFromUrl() {
  return new URLSearchParams(location.search).get('lesson') ?? '';
}

// Sets a status line: text plus a state class (ok / warn / error) for colour.
export function setStatus(el, text, state = '') {
  el.textContent = text;
  el.className = 'status' + (state ? ' ' + state : '');
}
