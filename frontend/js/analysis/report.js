// The printable report (optionally compared with another relay) and the corpus exports.

import { h, replace } from '../dom.js';
import { field, select } from '../forms.js';
import { relayList } from './relays.js';

/** Draws the report link and the exports of `relay` in `panel`. */
export async function drawReport(relay, panel, user) {
  const others = (await relayList()).filter((r) => r.id !== relay.id);
  const compare = select('report-compare',
    [['', 'Kun denne stafet'], ...others.map((r) => [String(r.id), r.title])]);
  const open = h('a', {
    class: 'button', id: 'report-link', href: `/api/relays/${relay.id}/report`, target: '_blank',
    rel: 'noopener', text: 'Åbn rapporten',
  });
  compare.addEventListener('change', () => {
    const query = compare.value ? `?compare=${compare.value}` : '';
    open.href = `/api/relays/${relay.id}/report${query}`;
  });
  const who = user.role === 'analyst'
    ? 'Deltagerne står under pseudonymer (fx P017).'
    : 'Som facilitator får du navne og emails med.';
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'report-title' },
      h('h2', { id: 'report-title', text: 'Rapport' }),
      h('p', {
        class: 'hint',
        text: 'En side til print med kagen, de hyppigste og særlige ord, netværket og de '
          + 'stjernemarkerede spørgsmål og svar.',
      }),
      h('div', { class: 'row' },
        field('Sammenlign med', compare), h('div', { class: 'field' }, open))),
    h('section', { class: 'card', 'aria-labelledby': 'export-title' },
      h('h2', { id: 'export-title', text: 'Eksport af korpus' }),
      h('p', { class: 'hint', text: who }),
      h('div', { class: 'actions' }, ['csv', 'xlsx', 'json'].map((f) => h('a', {
        class: 'button secondary', href: `/api/relays/${relay.id}/corpus?format=${f}`, download: '',
        text: f.toUpperCase(),
      })))));
}
