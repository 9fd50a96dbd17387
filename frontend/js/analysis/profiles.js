// Activity profiles per group: asked, received, answered, how fast, and whether the group drove
// the relay (proactive), followed it (reactive) or neither. The dashboard shows it after close.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { table } from '../panels.js';
import { percent } from './shares.js';

const PROFILE = {
  proactive: 'Proaktiv', reactive: 'Reaktiv', balanced: 'Balanceret', inactive: 'Inaktiv',
};

/** The profiles of `view` (`GET /api/relays/{id}/profiles`) as a table. */
export function profilesTable(view) {
  const num = (text) => h('td', { class: 'num', text: String(text) });
  const rows = Object.entries(view.groups).map(([g, p]) => h('tr', {},
    h('th', { scope: 'row', text: g }),
    num(p.asked), num(p.received), num(p.answered), num(percent(p.answered_share)),
    num(p.median_answer_minutes === null ? '–' : Math.round(p.median_answer_minutes)),
    h('td', { dataset: { profile: p.profile }, text: PROFILE[p.profile] || p.profile }),
    num(percent(p.participation))));
  return table([['Gruppe'], ['Spurgt', 1], ['Modtaget', 1], ['Besvaret', 1],
    ['Andel besvaret', 1], ['Median svartid (min.)', 1], ['Profil'], ['Deltagelse', 1]], rows,
  'Proaktiv: spurgte klart mere, end den svarede; reaktiv: svarede klart mere, end den spurgte.');
}

/** Draws the activity profiles of `relay` in `panel`. */
export async function drawProfiles(relay, panel) {
  const view = await api('GET', `/api/relays/${relay.id}/profiles`);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'profiles-title' },
    h('h2', { id: 'profiles-title', text: 'Aktivitet pr. gruppe' }), profilesTable(view)));
}
