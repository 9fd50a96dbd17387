// The participant's relay (/app): purpose, current round, the questions passed to me with an
// answer form, the ask form, and my own questions with their answers. Kept live by the event
// feed; everything shown is re-read from /api/me, which is the truth. This module draws the
// page and keeps it live; its sections are the modules in app/.

import { api, live, debounce } from './api.js';
import { h, replace, para, formatTime, shortTime, toast } from './dom.js';
import { t, setLanguage } from './app/strings.js';
import { page } from './app/state.js';
import { inboxSection, askedSection } from './app/questions.js';
import { askSection } from './app/ask.js';
import { privacySection } from './app/privacy.js';

const main = document.getElementById('main');
const status = document.getElementById('live-status');
let stopLive = null;

function relayHeader(relay) {
  // `current_round` and `position` are 1-based.
  const total = relay.rounds.length;
  const round = relay.rounds.find((r) => r.position === relay.current_round) || null;
  return h('section', { class: 'card relay', 'aria-labelledby': 'relay-title' },
    h('h1', { id: 'relay-title', text: relay.title }),
    relay.topic ? h('p', { class: 'topic', text: relay.topic }) : null,
    h('h2', { class: 'small', text: t.purpose }),
    para(relay.purpose),
    round && relay.state === 'open'
      ? h('div', { class: 'round' },
        h('p', { class: 'round-name' },
          h('strong', { text: round.name || t.round }), ' · ',
          t.roundOf(round.position, total), ' · ',
          `${t.ends} ${shortTime(round.ends_at, relay.language, relay.timezone)}`),
        round.prompt ? para(round.prompt, 'prompt') : null)
      : null);
}

function notice(title, text, extra = []) {
  return h('section', { class: 'card notice', 'aria-labelledby': 'notice-title' },
    h('h1', { id: 'notice-title', text: title }),
    para(text),
    extra);
}

function sections(data) {
  const { relay } = data;
  if (relay.state === 'draft' || relay.state === 'scheduled') {
    const starts = formatTime(relay.starts_at, relay.language, relay.timezone);
    return [notice(t.notOpenTitle, t.notOpen(starts)), relayHeader(relay), privacySection(data)];
  }
  if (relay.state === 'closed') {
    const output = relay.share_output
      ? [para(t.sharedOutput),
        h('p', {}, h('a', { class: 'button', href: '/api/me/report', text: t.readOutput }))]
      : [];
    return [notice(t.closedTitle, t.closed, output),
      relayHeader(relay), inboxSection(data, refresh), askedSection(data), privacySection(data)];
  }
  return [relayHeader(relay), privacySection(data), inboxSection(data, refresh),
    askSection(data, refresh), askedSection(data)];
}

function render(data) {
  setLanguage(data.relay.language);
  document.title = `${data.relay.title} · Stafet`;
  const parts = sections(data);
  // Re-rendering must not lose what a person is typing or where their cursor is.
  const focused = document.activeElement && document.activeElement.id;
  const caret = focused && document.activeElement.selectionStart;
  replace(main, parts);
  if (focused) {
    const again = document.getElementById(focused);
    if (again) {
      again.focus();
      if (typeof caret === 'number' && again.setSelectionRange) {
        again.setSelectionRange(caret, caret);
      }
    }
  }
}

function showError(e) {
  if (stopLive) stopLive();
  stopLive = null;
  status.textContent = '';
  if (e.code === 'suspended') {
    replace(main, notice(t.suspendedTitle, e.message));
  } else if (e.code === 'link_expired') {
    replace(main, notice(t.expiredTitle, e.message));
  } else if (e.status === 401) {
    replace(main, notice(t.noSessionTitle, t.noSession));
  } else {
    replace(main, notice(t.error, e.code === 'network' ? t.network : e.message));
  }
}

async function refresh() {
  try {
    const data = await api('GET', '/api/me');
    page.me = data;
    render(data);
    return data;
  } catch (e) {
    if (e.code === 'network' && page.me) {
      toast(t.network, 'error');
      return page.me;
    }
    showError(e);
    return null;
  }
}

const refreshSoon = debounce(refresh, 150);

async function start() {
  const data = await refresh();
  if (!data) return;
  stopLive = live({
    onEvent: () => refreshSoon(),
    onStatus: (s) => {
      status.textContent = s === 'live' ? t.live : s === 'reconnecting' ? t.reconnecting : '';
      status.dataset.state = s;
      // After a gap, the replayed events trigger a refresh; refresh anyway in case there were none.
      if (s === 'live') refreshSoon();
    },
    onFatal: () => refresh(),
  });
}

start();
