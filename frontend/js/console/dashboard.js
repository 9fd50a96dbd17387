// The relay's dashboard: the counts, per group and per round, the groups' activity profiles
// once the relay has closed, and the latest activity, which the staff feed extends live.

import { api } from '../api.js';
import { h, replace, shortTime } from '../dom.js';
import { table } from '../panels.js';
import { EVENT_LABELS, QUIET_EVENTS } from './labels.js';
import { profilesTable } from '../analysis/profiles.js';

const SHOWN = 30;

// The latest events first, for the relay on screen.
const activity = [];

/** Adds a live event to the activity list on screen. */
export function addActivity(ev, relay) {
  if (QUIET_EVENTS.has(ev.type)) return;
  activity.unshift(ev);
  activity.length = Math.min(activity.length, SHOWN);
  const list = document.getElementById('activity');
  if (list) replace(list, activityItems(relay));
}

function activityItems(relay) {
  if (activity.length === 0) return [h('li', { class: 'empty', text: 'Ingen aktivitet endnu.' })];
  // Only what happened and when: never who asked whom or what was written.
  return activity.map((ev) => h('li', {},
    h('span', { class: 'meta', text: `${shortTime(ev.created_at, 'da', relay.timezone)} · ` }),
    EVENT_LABELS[ev.type] || ev.type.replaceAll('_', ' ')));
}

function stat(label, n, key) {
  return h('div', { class: 'stat', dataset: { stat: key } },
    h('span', { class: 'n', text: String(n) }), label);
}

function numbers(values) {
  return values.map((n) => h('td', { class: 'num', text: String(n) }));
}

/** Draws the dashboard of `relay` in `panel`. */
export async function drawDashboard(relay, panel, user) {
  const [stats, events, profiles] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/stats`),
    user.role === 'analyst'
      ? Promise.resolve([])
      : api('GET', `/api/relays/${relay.id}/events?latest=500`),
    // Who drove the relay is a verdict on the whole of it: shown once it has closed.
    relay.state === 'closed'
      ? api('GET', `/api/relays/${relay.id}/profiles`) : Promise.resolve(null),
  ]);
  activity.length = 0;
  activity.push(...events.filter((ev) => !QUIET_EVENTS.has(ev.type)).slice(-SHOWN).reverse());
  const emails = stats.emails || {};
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'dash-title' },
      h('h2', { id: 'dash-title', text: 'Overblik' }),
      h('div', { class: 'stats' },
        stat('deltagere', stats.participants.total, 'participants'),
        stat('har deltaget', stats.participants.participated, 'participated'),
        stat('spørgsmål stillet', stats.questions.asked, 'asked'),
        stat('besvaret', stats.questions.answered, 'answered'),
        stat('venter på svar', stats.questions.pending, 'pending'),
        stat('stafetter i spil', stats.batons_in_play, 'batons'),
        stat('emails sendt', emails.sent || 0, 'emails-sent'),
        stat('emails fejlet', emails.failed || 0, 'emails-failed')),
      h('h3', { text: 'Pr. gruppe' }),
      table([['Gruppe'], ['Deltagere', 1], ['Har deltaget', 1], ['Spurgt', 1], ['Besvaret', 1]],
        stats.per_group.map((g) => h('tr', {}, h('th', { scope: 'row', text: g.group }),
          numbers([g.participants, g.participated, g.asked, g.answered])))),
      profiles ? [h('h3', { text: 'Gruppernes profil' }), profilesTable(profiles)] : null,
      h('h3', { text: 'Pr. runde' }),
      table([['Runde'], ['Spurgt', 1], ['Besvaret', 1], ['Venter', 1]],
        stats.per_round.map((r) => h('tr', {}, h('th', { scope: 'row', text: r.name }),
          numbers([r.asked, r.answered, r.pending])))),
      h('h3', { text: 'Seneste aktivitet' }),
      h('ul', { class: 'list activity', id: 'activity', 'aria-live': 'polite' },
        activityItems(relay))));
}
