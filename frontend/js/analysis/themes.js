// Themes: find them by clustering, see the cake per group, and edit them by hand (rename,
// merge, split, delete, create), then place unthemed questions from suggestions.

import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { field, select } from '../forms.js';
import { busy } from '../calls.js';
import { cake } from './charts.js';

/** Draws the themes of `relay` in `panel`. */
export async function drawThemes(relay, panel) {
  const data = await api('GET', `/api/relays/${relay.id}/themes`);
  const redraw = () => drawThemes(relay, panel);
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'themes-title' },
      h('h2', { id: 'themes-title', text: 'Temaer' }),
      h('p', {
        class: 'hint',
        text: 'Platformen grupperer spørgsmålene i temaer. Omdøb, slå sammen, del og flyt – '
          + 'dine ændringer bevares, når du finder temaer igen.',
      }),
      clusterRow(relay, data, redraw),
      newThemeForm(relay, redraw)),
    data.themes.length ? h('section', { class: 'card', 'aria-labelledby': 'cake-title' },
      h('h2', { id: 'cake-title', text: 'Kagen: temaer pr. gruppe' }), cake(data)) : null,
    data.themes.map((t) => themeCard(t, data, redraw)),
    await suggestionsCard(relay, data, redraw));
}

function clusterRow(relay, data, redraw) {
  const k = h('input', { id: 'cluster-k', type: 'number', min: 2, max: 30, placeholder: 'auto' });
  const text = select('cluster-text',
    [['question', 'Spørgsmålet alene'], ['question_answer', 'Spørgsmål og svar']],
    'question_answer');
  const seed = h('input', { id: 'cluster-seed', type: 'number', min: 0, value: 1 });
  const go = h('button', {
    type: 'button', text: data.themes.length ? 'Find temaer igen' : 'Find temaer',
  });
  go.addEventListener('click', async () => {
    const body = { text: text.value, seed: Number(seed.value) || 0 };
    if (k.value) body.k = Number(k.value);
    if (await busy(go, () => api('POST', `/api/relays/${relay.id}/themes/cluster`, body))) {
      await redraw();
      toast('Temaerne er fundet. Dine egne temaer og placeringer er bevaret.');
    }
  });
  return h('div', { class: 'row' },
    field('Antal temaer', k), field('Tekst', text), field('Startværdi', seed),
    h('div', { class: 'field' }, go));
}

function newThemeForm(relay, redraw) {
  const label = h('input', { id: 'new-theme', placeholder: 'Fx "Borgerinddragelse"' });
  const add = h('button', { type: 'submit', class: 'secondary', text: 'Opret tema' });
  const form = h('form', { class: 'row' },
    field('Nyt tema', label), h('div', { class: 'field' }, add));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!label.value.trim()) return;
    const made = await busy(add,
      () => api('POST', `/api/relays/${relay.id}/themes`, { label: label.value.trim() }));
    if (made) await redraw();
  });
  return form;
}

/** A small button that runs `call` and draws the themes again when it succeeded. */
function themeButton(text, cls, redraw, call, ask) {
  const b = h('button', { type: 'button', class: `small ${cls}`, text });
  b.addEventListener('click', async () => {
    if (ask && !ask()) return;
    if (await busy(b, call)) await redraw();
  });
  return b;
}

function themeCard(t, data, redraw) {
  const name = h('input', { id: `theme-label-${t.id}`, value: t.label });
  const rename = themeButton('Omdøb', 'secondary', redraw,
    () => api('PATCH', `/api/themes/${t.id}`, { label: name.value.trim() }));
  const others = data.themes.filter((o) => o.id !== t.id).map((o) => [String(o.id), o.label]);
  const into = select(`merge-into-${t.id}`, [['', 'Slå sammen med …'], ...others]);
  into.setAttribute('aria-label', `Slå ${t.label} sammen med`);
  const merge = themeButton('Slå sammen', 'secondary', redraw,
    () => api('POST', `/api/themes/${t.id}/merge`, { into: Number(into.value) }),
    () => Boolean(into.value));
  const split = themeButton('Del i to', 'secondary', redraw,
    () => api('POST', `/api/themes/${t.id}/split`, {}));
  const del = themeButton('Slet', 'danger', redraw,
    () => api('DELETE', `/api/themes/${t.id}`),
    () => window.confirm(`Slet temaet "${t.label}"? Spørgsmålene bliver uden tema.`));
  const perGroup = Object.entries(t.per_group || {}).map(([g, n]) => `${g}: ${n}`).join(' · ');
  const title = h('h3', { id: `theme-title-${t.id}` }, t.label, ' ',
    h('span', { class: 'badge', text: `${t.size} spørgsmål` }),
    t.pinned ? h('span', { class: 'badge', text: 'fastholdt' }) : null);
  const examples = t.representatives.length
    ? h('ul', { class: 'list' }, t.representatives.map((q) => h('li', { class: 'question' },
      h('p', { class: 'text', text: q.text }))))
    : h('p', { class: 'empty', text: 'Ingen spørgsmål endnu.' });
  const keywords = t.label_words.length
    ? h('p', { class: 'meta', text: `Nøgleord: ${t.label_words.join(', ')}` })
    : null;
  const labelled = { class: 'card theme', 'aria-labelledby': `theme-title-${t.id}` };
  return h('section', { ...labelled, dataset: { themeId: t.id } },
    title,
    keywords,
    perGroup ? h('p', { class: 'meta', text: perGroup }) : null,
    examples,
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: name.id, text: 'Navn' }), name),
      h('div', { class: 'field' }, rename)),
    h('div', { class: 'actions' }, into, merge, split, del));
}

async function suggestionsCard(relay, data, redraw) {
  if (!data.themes.length || !data.unplaced) return null;
  const suggestions = await api('GET', `/api/relays/${relay.id}/themes/suggestions`);
  if (!suggestions.length) return null;
  const texts = await api('GET', `/api/relays/${relay.id}/corpus?format=json`);
  const byId = new Map(texts.map((r) => [r.question_id, r]));
  const themeName = new Map(data.themes.map((t) => [t.id, t.label]));
  const choices = data.themes.map((t) => [String(t.id), t.label]);
  const items = suggestions.slice(0, 50).map((s) => {
    const q = byId.get(s.question_id);
    const choose = select(`suggest-${s.question_id}`, choices, s.theme_id);
    choose.setAttribute('aria-label', `Tema for spørgsmål ${s.question_id}`);
    const accept = h('button', { type: 'button', class: 'small', text: 'Placér' });
    accept.addEventListener('click', async () => {
      const placed = await busy(accept, () => api('PUT', `/api/questions/${s.question_id}/theme`,
        { theme_id: Number(choose.value) }));
      if (placed) await redraw();
    });
    const sure = Math.round(100 * s.confidence);
    return h('li', { class: 'question', dataset: { questionId: s.question_id } },
      h('p', { class: 'text', text: q ? q.question : `#${s.question_id}` }),
      h('p', { class: 'meta', text: `Forslag: ${themeName.get(s.theme_id)} (${sure} % sikker)` }),
      h('div', { class: 'actions' }, choose, accept));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'suggest-title' },
    h('h2', {
      id: 'suggest-title', text: `Forslag til spørgsmål uden tema (${suggestions.length})`,
    }),
    h('p', {
      class: 'hint',
      text: 'Forslagene lærer af de spørgsmål, du har placeret. '
        + 'Placér eller ret med ét klik – de næste forslag bliver bedre.',
    }),
    h('ul', { class: 'list', id: 'suggestions' }, items));
}
