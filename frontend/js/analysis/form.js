// Question form: the share of open, closed and mixed questions per group, round and theme, and
// every question with its form, which the analyst can correct (a correction survives re-runs).

import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { select } from '../forms.js';
import { busy } from '../calls.js';
import { byKey, byName, shareTable } from './shares.js';

const FORMS = [['open', 'Åben'], ['closed', 'Lukket'], ['mixed', 'Blandet']];
const SHOWN = 500;

function shares(view) {
  return [
    shareTable('Pr. gruppe (spørgerens)', 'Gruppe', byName(view.groups), FORMS),
    shareTable('Pr. runde', 'Runde', byKey(view.rounds, 'Uden runde'), FORMS),
    view.themes.length
      ? shareTable('Pr. tema', 'Tema', byKey(view.themes, 'Uden tema'), FORMS) : null,
  ];
}

function questionItem(row, entry, onChange) {
  const id = `form-${row.question_id}`;
  const choice = select(id, FORMS, entry.form);
  const mark = h('span', {
    class: 'meta', dataset: { corrected: String(entry.corrected) },
    text: entry.corrected ? 'rettet' : 'automatisk',
  });
  choice.addEventListener('change', () => busy(choice, async () => {
    await api('PUT', `/api/questions/${row.question_id}/form`, { form: choice.value });
    mark.textContent = 'rettet';
    mark.dataset.corrected = 'true';
    toast('Formen er rettet.');
    await onChange();
  }));
  return h('li', { class: 'item', dataset: { question: String(row.question_id) } },
    h('p', { class: 'text', text: row.question }),
    h('div', { class: 'row' },
      h('label', { for: id, class: 'meta', text: 'Form' }), choice, mark));
}

/** Draws the question forms of `relay` in `panel`. */
export async function drawForm(relay, panel) {
  const base = `/api/relays/${relay.id}`;
  const [rows, forms, view] = await Promise.all([
    api('GET', `${base}/corpus?format=json`),
    api('GET', `${base}/questions/forms`),
    api('GET', `${base}/forms`),
  ]);
  const formOf = new Map(forms.map((f) => [f.question_id, f]));
  const tables = h('div', { id: 'form-shares' }, shares(view));
  const refresh = async () => replace(tables, shares(await api('GET', `${base}/forms`)));
  const all = view.all;
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'form-title' },
      h('h2', { id: 'form-title', text: 'Spørgsmålenes form' }),
      h('p', {
        class: 'hint',
        text: `Åbne (hv-ord) ${Math.round(all.open * 100)} %, lukkede (ja/nej) `
          + `${Math.round(all.closed * 100)} %, blandede ${Math.round(all.mixed * 100)} % `
          + `af ${all.count} spørgsmål.`,
      }),
      tables),
    h('section', { class: 'card', 'aria-labelledby': 'form-list-title' },
      h('h2', { id: 'form-list-title', text: 'Ret et spørgsmåls form' }),
      h('p', { class: 'hint', text: 'En rettelse gælder, også når analysen køres igen.' }),
      h('ul', { class: 'list', id: 'form-list' }, rows.slice(0, SHOWN).map((r) =>
        questionItem(r, formOf.get(r.question_id), refresh)))));
}
