// Focus: whether questions point inside the organisation or outside it, per group and theme,
// read with word lists the analyst edits here (the relay's own, or its language's defaults).

import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { field, errorBox } from '../forms.js';
import { busy } from '../calls.js';
import { byKey, byName, shareTable } from './shares.js';

const SIDES = [['inward', 'Indad'], ['outward', 'Udad'], ['neither', 'Ingen af delene']];

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function listsForm(relay, view, redraw) {
  const inward = h('textarea', {
    id: 'focus-inward', rows: 8, value: view.lists.inward.join('\n'),
  });
  const outward = h('textarea', {
    id: 'focus-outward', rows: 8, value: view.lists.outward.join('\n'),
  });
  const out = errorBox();
  const url = `/api/relays/${relay.id}/focus/lists`;
  const save = h('button', { type: 'submit', text: 'Gem ordlisterne' });
  const reset = h('button', {
    type: 'button', class: 'secondary', text: 'Brug standardlisterne',
    onclick: () => busy(reset, async () => redraw(await api('DELETE', url)), out),
  });
  return h('form', {
    id: 'focus-lists',
    onsubmit: (e) => {
      e.preventDefault();
      busy(save, async () => {
        const body = { inward: lines(inward.value), outward: lines(outward.value) };
        redraw(await api('PUT', url, body));
        toast('Ordlisterne er gemt.');
      }, out);
    },
  },
  h('p', {
    class: 'hint',
    text: `${view.lists.custom ? 'Stafettens egne lister' : 'Standardlisterne for sproget'}. `
      + 'Ét ord pr. linje; * matcher resten af ordet (borger* finder borgerinddragelse).',
  }),
  h('div', { class: 'row' },
    field('Indad (organisationen selv)', inward), field('Udad (omverdenen)', outward)),
  out, h('div', { class: 'actions' }, save, reset));
}

/** Draws the focus of `relay` in `panel`. */
export async function drawFocus(relay, panel) {
  const draw = (view) => replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'focus-title' },
      h('h2', { id: 'focus-title', text: 'Fokus: indad eller udad' }),
      shareTable('Pr. gruppe (spørgerens)', 'Gruppe', byName(view.groups), SIDES),
      view.themes.length
        ? shareTable('Pr. tema', 'Tema', byKey(view.themes, 'Uden tema'), SIDES) : null),
    h('section', { class: 'card', 'aria-labelledby': 'focus-lists-title' },
      h('h2', { id: 'focus-lists-title', text: 'Ordlister' }), listsForm(relay, view, draw)));
  draw(await api('GET', `/api/relays/${relay.id}/focus`));
}
