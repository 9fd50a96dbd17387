// One relay in the console: its state, the actions that move it on, and its three screens
// (dashboard, participants, stranded questions) kept live by the staff feed.

import { api, live, debounce } from '../api.js';
import { h, replace, shortTime, toast } from '../dom.js';
import { errorText } from '../forms.js';
import { busy } from '../calls.js';
import { tabbed } from '../panels.js';
import { STATE, stateBadge } from './labels.js';
import { addActivity, drawDashboard } from './dashboard.js';
import { drawParticipants } from './participants.js';
import { drawQuestions } from './questions.js';
import { copyAction, eraseNowButton, retentionLine } from './privacy.js';

const TABS = [
  ['dashboard', 'Overblik'], ['participants', 'Deltagere'], ['questions', 'Strandede spørgsmål'],
];
const DRAW = { dashboard: drawDashboard, participants: drawParticipants, questions: drawQuestions };

/**
 * Shows relay `id` in `main` on screen `tab`. `reload` draws the route again after an action.
 * Resolves to the function that stops the live feed, or null when there is none.
 */
export async function showRelay({ main, user, id, tab, reload }) {
  const relay = await api('GET', `/api/relays/${id}`);
  document.title = `${relay.title} · Stafet`;
  const isFacilitator = user.role !== 'analyst';
  const actions = h('div', { class: 'actions' });
  if (isFacilitator) actions.append(...relayActions(relay, reload));
  const { current, bar, panel } = tabbed('Visninger', TABS, tab, id);
  const when = (iso) => shortTime(iso, 'da', relay.timezone);
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'relay-title' },
      h('h1', { id: 'relay-title' }, relay.title, ' ', stateBadge(relay.state)),
      h('p', {
        class: 'meta',
        text: `${relay.topic} · ${relay.rounds.length} runder · `
          + `${when(relay.starts_at)} – ${when(relay.ends_at)} (${relay.timezone})`,
      }),
      h('p', { class: 'meta', id: 'retention', text: retentionLine(relay) }),
      actions,
      bar),
    panel);

  const draw = DRAW[current];
  // A live update must not wipe what the facilitator is doing: a half-pasted import or a
  // reroute being chosen stays until they are done. Asked again when the delayed redraw runs,
  // since they may have started in between.
  const busyHere = () => {
    const csv = document.getElementById('import-csv');
    return current !== 'dashboard'
      && (panel.contains(document.activeElement) || Boolean(csv && csv.value.trim()));
  };
  const redraw = debounce(() => {
    if (busyHere()) return;
    draw(relay, panel, user).catch((e) => toast(errorText(e), 'error'));
  }, 200);
  await draw(relay, panel, user);
  if (!isFacilitator) return null;
  return live({
    query: `relay=${id}`,
    onEvent: (ev) => {
      if (current === 'dashboard') addActivity(ev, relay);
      if (!busyHere()) redraw();
    },
    onStatus: () => {},
  });
}

/** The buttons that move `relay` on from its state, each after the facilitator confirms. */
function relayActions(relay, reload) {
  const act = (label, path, question, cls) => {
    const b = h('button', { type: 'button', class: cls || '', text: label });
    b.addEventListener('click', async () => {
      if (!window.confirm(question)) return;
      const res = await busy(b, () => api('POST', `/api/relays/${relay.id}/${path}`));
      if (res) {
        toast(`Stafetten er nu: ${STATE[res.state] || res.state}.`);
        reload();
      }
    });
    return b;
  };
  const { state } = relay;
  const shown = [];
  if (state === 'draft' || state === 'scheduled') {
    shown.push(h('a', {
      class: 'button secondary', href: `#/relay/${relay.id}/edit`, text: 'Redigér',
    }));
  }
  if (state === 'draft') {
    shown.push(act('Planlæg og send invitationer', 'schedule',
      'Invitationerne sendes nu, og stafetten åbner af sig selv ved første runde. Fortsæt?',
      'secondary'));
  }
  if (state === 'draft' || state === 'scheduled') {
    shown.push(act('Åbn nu', 'open', 'Stafetten åbner nu; alle runder rykkes, så første runde '
      + 'begynder nu. Deltagerne får en email med deres link. Fortsæt?'));
  }
  if (state === 'open') {
    shown.push(act('Luk stafetten', 'close', 'Stafetten lukkes nu. Ubesvarede spørgsmål udløber, '
      + 'og alle får en afslutningsmail. Det kan ikke fortrydes. Fortsæt?', 'danger'));
  }
  if (state === 'closed' && !relay.erased_at) shown.push(eraseNowButton(relay, reload));
  shown.push(...copyAction(relay));
  return shown;
}
