// The relay's stranded questions: those still waiting for an answer, oldest first, each of
// which the facilitator can send on to another participant (or let the relay choose).

import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { busy } from '../calls.js';
import { table } from '../panels.js';

const who = (p) => `${p.name} (${p.group})`;

/** Draws the questions of `relay` that wait for an answer in `panel`. */
export async function drawQuestions(relay, panel) {
  const [pending, people] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/questions/pending`),
    api('GET', `/api/relays/${relay.id}/participants`),
  ]);
  const active = people.filter((p) => p.status === 'active');
  const rows = pending.map((q) => questionRow(q, active, () => drawQuestions(relay, panel)));
  const after = relay.settings.reroute_after_hours || '∞';
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'stranded-title' },
    h('h2', { id: 'stranded-title', text: `Ventende spørgsmål (${pending.length})` }),
    h('p', {
      class: 'hint',
      text: `Spørgsmål uden svar, ældste først. De sendes selv videre efter ${after} timer; `
        + 'her kan du gøre det med det samme.',
    }),
    pending.length
      ? table([['Spørgsmål'], ['Hos'], ['Fra'], ['Timer', 1], ['Påmindet'], ['Send videre']], rows)
      : h('p', { class: 'empty', text: 'Ingen spørgsmål venter på svar.' })));
}

function questionRow(q, active, redraw) {
  const others = active.filter((p) => !q.recipient || p.id !== q.recipient.id);
  const to = h('select', { id: `reroute-to-${q.id}`, 'aria-label': 'Ny modtager' },
    h('option', { value: '', text: 'Automatisk' }),
    others.map((p) => h('option', { value: p.id, text: who(p) })));
  const go = h('button', { type: 'button', class: 'small', text: 'Send videre' });
  go.addEventListener('click', async () => {
    const body = to.value ? { to: Number(to.value) } : {};
    const res = await busy(go, () => api('POST', `/api/questions/${q.id}/reroute`, body));
    if (res) {
      toast(`Spørgsmålet er sendt videre til ${res.recipient.name}.`);
      redraw();
    }
  });
  const stranded = q.recipient && q.recipient.status === 'suspended';
  return h('tr', { dataset: { questionId: q.id } },
    h('th', { scope: 'row', text: `#${q.id}` }),
    h('td', {}, q.recipient ? who(q.recipient) : '–',
      stranded ? h('div', { class: 'status-failed', text: 'Modtageren er på pause' }) : null),
    h('td', { text: q.asker ? who(q.asker) : (q.asker_group || 'Anonym') }),
    h('td', { class: 'num', text: q.waiting_hours.toFixed(1) }),
    h('td', { text: q.reminded_at ? 'Ja' : 'Nej' }),
    h('td', {}, h('div', { class: 'actions' }, to, go)));
}
