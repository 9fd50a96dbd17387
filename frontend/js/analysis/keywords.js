// Expected keywords: which of the words the facilitator expected appeared, how often and in
// which groups, the share found, and the words that stood out though nobody expected them.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { table } from '../panels.js';
import { percent } from './shares.js';

const REFERENCE = {
  relays: 'platformens andre stafetter på samme sprog',
  general: 'almindeligt sprog (ordfrekvenser for stafettens sprog)',
};

function hitsTable(view) {
  const groups = view.keywords.length ? Object.keys(view.keywords[0].groups) : [];
  const rows = view.keywords.map((k) => h('tr', {},
    h('th', { scope: 'row', text: k.word }),
    h('td', { class: 'num', text: String(k.count) }),
    groups.map((g) => h('td', { class: 'num', text: String(k.groups[g]) }))));
  return table([['Nøgleord'], ['I alt', 1], ...groups.map((g) => [g, 1])], rows);
}

/** Draws the expected keywords of `relay` in `panel`. */
export async function drawKeywords(relay, panel) {
  const view = await api('GET', `/api/relays/${relay.id}/keywords`);
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'kw-title' },
      h('h2', { id: 'kw-title', text: 'Forventede nøgleord' }),
      view.keywords.length
        ? [hitsTable(view), h('p', { id: 'kw-relevance' }, 'Relevans (andel fundet): ',
          h('strong', { text: percent(view.relevance) }))]
        : h('p', {
          class: 'empty',
          text: 'Der er ikke angivet forventede nøgleord (de sættes i stafettens opsætning).',
        })),
    h('section', { class: 'card', 'aria-labelledby': 'kw-unexpected-title' },
      h('h2', {
        id: 'kw-unexpected-title', text: 'Ord, der skilte sig ud uden at være forventet',
      }),
      h('p', { class: 'hint', text: `Målt mod ${REFERENCE[view.reference]}; z-værdi.` }),
      view.unexpected.length
        ? h('ol', { id: 'kw-unexpected' }, view.unexpected.map((u) => h('li', {
          text: `${u.word} (${u.z.toFixed(1)})`,
        })))
        : h('p', { class: 'empty', text: 'Ingen ord skilte sig ud.' })));
}
