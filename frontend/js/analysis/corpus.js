// The corpus: every question and answer of a relay, searched and filtered in the browser, each
// of which can be starred for the report.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { field, select } from '../forms.js';
import { busy } from '../calls.js';

const SHOWN = 500;

/** Draws the corpus of `relay` in `panel`. */
export async function drawCorpus(relay, panel) {
  const [rows, themes] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/corpus?format=json`),
    api('GET', `/api/relays/${relay.id}/themes`),
  ]);
  const groups = [...new Set(rows.flatMap((r) => [r.asker_group, r.recipient_group]))].sort();
  const rounds = [...new Set(rows.map((r) => r.round_name).filter(Boolean))];
  const search = h('input', {
    id: 'corpus-search', type: 'search', placeholder: 'Søg i spørgsmål og svar',
  });
  const group = select('corpus-group', [['', 'Alle grupper'], ...groups.map((g) => [g, g])]);
  const round = select('corpus-round', [['', 'Alle runder'], ...rounds.map((r) => [r, r])]);
  const theme = select('corpus-theme', [['', 'Alle temaer'], ['none', 'Uden tema'],
    ...themes.themes.map((t) => [String(t.id), t.label])]);
  const answered = select('corpus-answered', [['', 'Besvarede og ubesvarede'],
    ['yes', 'Kun besvarede'], ['no', 'Kun ubesvarede']]);
  const starredOnly = h('input', { id: 'corpus-starred', type: 'checkbox' });
  const count = h('p', { class: 'meta', id: 'corpus-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'list', id: 'corpus-list' });

  const inTheme = (r) => {
    if (!theme.value) return true;
    if (theme.value === 'none') return !r.theme;
    const chosen = themes.themes.find((t) => String(t.id) === theme.value);
    return String(r.theme_id ?? '') === theme.value || r.theme === chosen?.label;
  };
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = rows.filter((r) => {
      if (group.value && r.asker_group !== group.value && r.recipient_group !== group.value) {
        return false;
      }
      if (round.value && r.round_name !== round.value) return false;
      if (!inTheme(r)) return false;
      if (answered.value === 'yes' && !r.answer) return false;
      if (answered.value === 'no' && r.answer) return false;
      if (starredOnly.checked && !r.starred) return false;
      const hay = `${r.question}\n${r.answer || ''}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    count.textContent = `${shown.length} af ${rows.length} spørgsmål`;
    replace(list, shown.slice(0, SHOWN).map((r) => corpusItem(r)));
  };
  for (const el of [search, group, round, theme, answered, starredOnly]) {
    el.addEventListener('input', draw);
  }
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'corpus-title' },
    h('h2', { id: 'corpus-title', text: 'Korpus' }),
    h('div', { class: 'row' },
      field('Søg', search), field('Gruppe', group), field('Runde', round),
      field('Tema', theme), field('Svar', answered)),
    h('div', { class: 'check' }, starredOnly,
      h('label', { for: 'corpus-starred', text: 'Kun stjernemarkerede (til rapporten)' })),
    count, list));
  draw();
}

const starText = (starred) => (starred ? '★ Med i rapporten' : '☆ Til rapporten');

function corpusItem(r) {
  const star = h('button', {
    type: 'button', class: 'small secondary', 'aria-pressed': String(Boolean(r.starred)),
    text: starText(r.starred),
  });
  star.addEventListener('click', async () => {
    const res = await busy(star,
      () => api('PUT', `/api/questions/${r.question_id}/star`, { starred: !r.starred }));
    if (res) {
      r.starred = res.starred;
      star.setAttribute('aria-pressed', String(r.starred));
      star.textContent = starText(r.starred);
    }
  });
  const route = `${r.asker} (${r.asker_group}) → ${r.recipient} (${r.recipient_group})`;
  const about = `${r.round_name || ''} · ${r.theme ? `Tema: ${r.theme}` : 'Uden tema'}`;
  return h('li', { class: 'question', dataset: { questionId: r.question_id } },
    h('p', { class: 'meta', text: `#${r.question_id} · ${route} · ${about}` }),
    h('p', { class: 'text question-text', text: r.question }),
    r.answer
      ? h('div', { class: 'answer' }, h('p', { class: 'text answer-text', text: r.answer }))
      : h('p', { class: 'badge', text: r.status === 'expired' ? 'Udløbet' : 'Ubesvaret' }),
    h('div', { class: 'actions' }, star));
}
