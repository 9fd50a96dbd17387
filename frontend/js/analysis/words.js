// Words: the most frequent words of a relay or group, and the words that set two groups or
// relays apart.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { field, select } from '../forms.js';
import { busy } from '../calls.js';
import { bars } from './charts.js';
import { relayList } from './relays.js';

const SOURCES = [['questions', 'Spørgsmål'], ['answers', 'Svar'], ['both', 'Begge']];

/** Draws the most frequent words of `relay` in `panel`. */
export async function drawWords(relay, panel) {
  const stats = await api('GET', `/api/relays/${relay.id}/stats`);
  const groups = stats.per_group.map((g) => g.group);
  const group = select('words-group', [['', 'Hele stafetten'], ...groups.map((g) => [g, g])]);
  const source = select('words-source', SOURCES, 'questions');
  const top = h('input', { id: 'words-top', type: 'number', min: 5, max: 200, value: 20 });
  const out = h('div', { id: 'words-chart', 'aria-live': 'polite' });
  const draw = async () => {
    const params = new URLSearchParams({ source: source.value, top: top.value || '20' });
    if (group.value) params.set('group', group.value);
    const res = await busy(null, () => api('GET', `/api/relays/${relay.id}/words?${params}`));
    if (!res) return;
    replace(out, res.words.length
      ? bars(res.words, { label: (w) => w.word, value: (w) => w.count })
      : h('p', { class: 'empty', text: 'Ingen ord endnu.' }),
    h('p', {
      class: 'meta',
      text: 'Tallet er antal forekomster; ord er samlet på deres stamme og vist i den '
        + 'hyppigste form.',
    }));
  };
  for (const el of [group, source, top]) el.addEventListener('change', draw);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'words-title' },
    h('h2', { id: 'words-title', text: 'Hyppigste ord' }),
    h('div', { class: 'row' },
      field('Gruppe', group), field('Tekst', source), field('Antal ord', top)),
    out));
  await draw();
}

/** Every relay, and each group of `relay`, as a side to compare: `[value, label]`. */
async function sides(relay) {
  const all = [];
  for (const r of await relayList()) {
    all.push([String(r.id), `${r.title} (hele stafetten)`]);
    const stats = r.id === relay.id ? await api('GET', `/api/relays/${r.id}/stats`) : null;
    for (const g of stats ? stats.per_group : []) {
      all.push([`${r.id}:${g.group}`, `${r.title}: ${g.group}`]);
    }
  }
  return all;
}

/** Draws the distinctive words of two sides, by default two groups of `relay`, in `panel`. */
export async function drawDistinctive(relay, panel) {
  const options = await sides(relay);
  const groupSides = options.filter(([v]) => v.startsWith(`${relay.id}:`));
  const a = select('dist-a', options, groupSides[0] ? groupSides[0][0] : String(relay.id));
  const b = select('dist-b', options, groupSides[1] ? groupSides[1][0] : String(relay.id));
  const source = select('dist-source', SOURCES, 'questions');
  const out = h('div', { id: 'dist-chart', 'aria-live': 'polite' });
  const draw = async () => {
    const params = new URLSearchParams({ a: a.value, b: b.value, source: source.value, top: '15' });
    const res = await busy(null, () => api('GET', `/api/analysis/distinctive?${params}`));
    if (!res) return;
    const list = (words, title) => h('div', { class: 'dist-side' }, h('h3', { text: title }),
      words.length
        ? bars(words, {
          label: (w) => `${w.word} (${w.count_a}/${w.count_b})`,
          value: (w) => Math.abs(w.z),
          format: (z) => z.toFixed(1),
        })
        : h('p', { class: 'empty', text: 'Ingen ord skiller sig ud.' }));
    replace(out,
      h('div', { class: 'two-col' },
        list(res.a_words, `Mere brugt i ${res.a.label}`),
        list(res.b_words, `Mere brugt i ${res.b.label}`)),
      h('p', {
        class: 'meta',
        text: 'Vægtet log-odds med informativ Dirichlet-prior (Monroe, Colaresi & Quinn 2008); '
          + 'tallet er z-værdien. |z| > 1,96 svarer til 5 %-niveauet.',
      }));
  };
  for (const el of [a, b, source]) el.addEventListener('change', draw);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'dist-title' },
    h('h2', { id: 'dist-title', text: 'Særlige ord: sammenlign to grupper eller stafetter' }),
    h('div', { class: 'row' }, field('Side A', a), field('Side B', b), field('Tekst', source)),
    out));
  await draw();
}
