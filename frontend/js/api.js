// Talking to Stafet's server: JSON requests with the CSRF header on writes, API errors as
// exceptions, and the live event feed over a websocket that replays what it missed.

/** An error the API answered with: `{"error": {"code", "message"}}`. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function cookie(name) {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}

// Staff and participant sessions have their own cookies (a browser may hold both), each with
// its CSRF token; the participant API is everything under /api/me.
function csrfToken(path) {
  return cookie(/^\/api\/me([/?]|$)/.test(path) ? 'stafet_participant_csrf' : 'stafet_staff_csrf');
}

/**
 * Calls the API. `body` is sent as JSON unless `contentType` says otherwise (then it is sent
 * as it is). Resolves to the parsed JSON (or null for an empty answer); rejects with ApiError.
 */
export async function api(method, path, body, { contentType } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken(path);
    if (body !== undefined) {
      headers['Content-Type'] = contentType || 'application/json';
      init.body = contentType ? body : JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error
      ? data.error
      : { code: 'http_' + res.status, message: res.statusText };
    throw new ApiError(res.status, err.code, err.message);
  }
  return data;
}

/**
 * Keeps a websocket to `/ws` open and hands each event to `onEvent`, in id order and once.
 * After a dropped connection it reconnects with backoff and asks for everything after the last
 * id it saw, so nothing is missed. `onStatus` gets 'live', 'reconnecting' or 'closed'.
 * Returns a function that stops it.
 */
export function live({ query = '', since = 0, onEvent, onStatus = () => {}, onFatal = () => {} }) {
  let last = since;
  let socket = null;
  let delay = 500;
  let stopped = false;
  let timer = null;

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const sep = query ? '&' : '';
    socket = new WebSocket(`${scheme}://${location.host}/ws?${query}${sep}since=${last}`);
    socket.addEventListener('open', () => {
      delay = 500;
      onStatus('live');
    });
    socket.addEventListener('message', (msg) => {
      let ev;
      try { ev = JSON.parse(msg.data); } catch { return; }
      if (ev.type === 'error') return;
      if (typeof ev.id === 'number') {
        if (ev.id <= last) return;
        last = ev.id;
      }
      onEvent(ev);
    });
    socket.addEventListener('close', (e) => {
      socket = null;
      if (stopped) return;
      // 1008 (policy) means the server will not take us back: the session ended.
      if (e.code === 1008) {
        onStatus('closed');
        onFatal();
        return;
      }
      onStatus('reconnecting');
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }

  connect();
  // A phone that wakes up or comes back online should not wait out the backoff.
  const kick = () => {
    if (!socket && !stopped) {
      clearTimeout(timer);
      delay = 500;
      connect();
    }
  };
  window.addEventListener('online', kick);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) kick(); });
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket) socket.close();
  };
}

/** Calls `fn` at most once per `ms`, after the last call (coalesces bursts of events). */
export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
