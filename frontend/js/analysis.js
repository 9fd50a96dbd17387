// The analyst's pages (/analysis): the corpus with search and filters, themes (the cake per
// group, editing, assisted theming), word frequencies, distinctive words, the network, the
// report and the exports. Everything people wrote is inserted as text.

import { api, ApiError } from './api.js';
import { h, replace, toast } from './dom.js';
import { signIn } from './session.js';

const main = document.getElementById('main');
const whoami = document.getElementById('whoami');
let user = null;
let relays = [];

const TABS = [
  ['corpus', 'Korpus'], ['themes', 'Temaer'], ['words', 'Ord'], ['distinctive', 'Særlige ord'],
  ['network', 'Netværk'], ['report', 'Rapport og eksport'],
];
const SOURCES = [['questions', 'Spørgsmål'], ['answers', 'Svar'], ['both', 'Begge']];

function errorText(e) {
  if (e instanceof ApiError && e.code === 'network') return 'Ingen forbindelse til serveren.';
  return e.message || 'Noget gik galt.';
}

async function run(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) start();
    else toast(errorText(e), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

function field(label, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input);
}

function select(id, options, value) {
  const el = h('select', { id }, options.map(([v, label]) => h('option', { value: v, text: label })));
  if (value !== undefined) el.value = String(value);
  return el;
}

/** A horizontal bar list: label, bar (width by value), number. */
function bars(items, { label, value, format = String, max }) {
  const top = max ?? Math.max(1, ...items.map(value));
  return h('div', { class: 'bar-chart', role: 'list' }, items.map((it) => {
    const fill = h('div', { class: 'fill' });
    fill.style.width = `${Math.max(1, (100 * Math.abs(value(it))) / top)}%`;
    return h('div', { class: 'barline', role: 'listitem' },
      h('span', { class: 'bar-label', text: label(it) }),
      h('div', { class: 'track', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'num', text: format(value(it)) }));
  }));
}

// ---------------------------------------------------------------- relay list

async function showList() {
  relays = await api('GET', '/api/relays');
  document.title = 'Stafet · Analyse';
  replace(main, h('section', { class: 'card', 'aria-labelledby': 'list-title' },
    h('h1', { id: 'list-title', text: 'Vælg en stafet' }),
    relays.length === 0
      ? h('p', { class: 'empty', text: 'Der er ingen stafetter endnu.' })
      : h('ul', { class: 'list relay-list' }, relays.map((r) => h('li', {},
          h('a', { href: `#/relay/${r.id}/corpus`, text: r.title }),
          h('span', { class: 'meta', text: `${r.topic} · ${r.state}` }))))));
}

// ---------------------------------------------------------------- one relay

async function showRelay(id, tab) {
  if (!relays.length) relays = await api('GET', '/api/relays');
  const relay = relays.find((r) => r.id === id) || await api('GET', `/api/relays/${id}`);
  document.title = `${relay.title} · Analyse · Stafet`;
  const current = TABS.some(([k]) => k === tab) ? tab : 'corpus';
  const panel = h('div', { id: 'panel', role: 'tabpanel', 'aria-labelledby': `tab-${current}`, tabindex: '-1' });
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'relay-title' },
      h('h1', { id: 'relay-title', text: relay.title }),
      h('p', { class: 'meta', text: `${relay.topic} · ${relay.state}` }),
      h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Analyser' }, TABS.map(([key, label]) => h('button', {
        type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === current), 'aria-controls': 'panel',
        text: label, onclick: () => { location.hash = `#/relay/${id}/${key}`; },
      })))),
    panel);
  const draw = { corpus: drawCorpus, themes: drawThemes, words: drawWords, distinctive: drawDistinctive, network: drawNetwork, report: drawReport }[current];
  await draw(relay, panel);
}

// Corpus -------------------------------------------------------------------

async function drawCorpus(relay, panel) {
  const [rows, themes] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/corpus?format=json`),
    api('GET', `/api/relays/${relay.id}/themes`),
  ]);
  const groups = [...new Set(rows.flatMap((r) => [r.asker_group, r.recipient_group]))].sort();
  const rounds = [...new Set(rows.map((r) => r.round_name).filter(Boolean))];
  const search = h('input', { id: 'corpus-search', type: 'search', placeholder: 'Søg i spørgsmål og svar' });
  const group = select('corpus-group', [['', 'Alle grupper'], ...groups.map((g) => [g, g])]);
  const round = select('corpus-round', [['', 'Alle runder'], ...rounds.map((r) => [r, r])]);
  const theme = select('corpus-theme', [['', 'Alle temaer'], ['none', 'Uden tema'], ...themes.themes.map((t) => [String(t.id), t.label])]);
  const answered = select('corpus-answered', [['', 'Besvarede og ubesvarede'], ['yes', 'Kun besvarede'], ['no', 'Kun ubesvarede']]);
  const starredOnly = h('input', { id: 'corpus-starred', type: 'checkbox' });
  const count = h('p', { class: 'meta', id: 'corpus-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'list', id: 'corpus-list' });

  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = rows.filter((r) => {
      if (group.value && r.asker_group !== group.value && r.recipient_group !== group.value) return false;
      if (round.value && r.round_name !== round.value) return false;
      if (theme.value === 'none' && r.theme) return false;
      if (theme.value && theme.value !== 'none' && String(r.theme_id ?? '') !== theme.value && r.theme !== themes.themes.find((t) => String(t.id) === theme.value)?.label) return false;
      if (answered.value === 'yes' && !r.answer) return false;
      if (answered.value === 'no' && r.answer) return false;
      if (starredOnly.checked && !r.starred) return false;
      const hay = `${r.question}\n${r.answer || ''}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    count.textContent = `${shown.length} af ${rows.length} spørgsmål`;
    replace(list, shown.slice(0, 500).map((r) => corpusItem(r)));
  };
  for (const el of [search, group, round, theme, answered, starredOnly]) el.addEventListener('input', draw);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'corpus-title' },
    h('h2', { id: 'corpus-title', text: 'Korpus' }),
    h('div', { class: 'row' }, field('Søg', search), field('Gruppe', group), field('Runde', round), field('Tema', theme), field('Svar', answered)),
    h('div', { class: 'check' }, starredOnly, h('label', { for: 'corpus-starred', text: 'Kun stjernemarkerede (til rapporten)' })),
    count, list));
  draw();
}

function corpusItem(r) {
  const star = h('button', {
    type: 'button', class: 'small secondary', 'aria-pressed': String(Boolean(r.starred)),
    text: r.starred ? '★ Med i rapporten' : '☆ Til rapporten',
  });
  star.addEventListener('click', async () => {
    const res = await run(star, () => api('PUT', `/api/questions/${r.question_id}/star`, { starred: !r.starred }));
    if (res) {
      r.starred = res.starred;
      star.setAttribute('aria-pressed', String(r.starred));
      star.textContent = r.starred ? '★ Med i rapporten' : '☆ Til rapporten';
    }
  });
  return h('li', { class: 'question', dataset: { questionId: r.question_id } },
    h('p', { class: 'meta', text: `#${r.question_id} · ${r.asker} (${r.asker_group}) → ${r.recipient} (${r.recipient_group}) · ${r.round_name || ''} · ${r.theme ? `Tema: ${r.theme}` : 'Uden tema'}` }),
    h('p', { class: 'text question-text', text: r.question }),
    r.answer ? h('div', { class: 'answer' }, h('p', { class: 'text answer-text', text: r.answer })) : h('p', { class: 'badge', text: r.status === 'expired' ? 'Udløbet' : 'Ubesvaret' }),
    h('div', { class: 'actions' }, star));
}

// Themes -------------------------------------------------------------------

const PALETTE = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#1e40af', '#9a3412', '#6d28d9'];

function cake(data) {
  const color = new Map(data.themes.map((t, i) => [t.id, PALETTE[i % PALETTE.length]]));
  const rows = data.cake.map((g) => {
    const total = g.total || 1;
    const strip = h('div', { class: 'cake-strip', role: 'img', 'aria-label': `${g.group}: ${g.slices.map((s) => `${s.label} ${s.count}`).join(', ')}` });
    for (const s of g.slices) {
      const part = h('span', { class: 'slice', title: `${s.label}: ${s.count}` });
      part.style.width = `${(100 * s.count) / total}%`;
      part.style.background = s.theme_id === null ? '#b8bec8' : color.get(s.theme_id);
      strip.append(part);
    }
    return h('div', { class: 'cake-row' }, h('span', { class: 'bar-label', text: `${g.group} (${g.total})` }), strip);
  });
  const legend = h('ul', { class: 'legend' }, data.themes.map((t) => {
    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = color.get(t.id);
    return h('li', {}, sw, `${t.label} (${t.size})`);
  }), data.unplaced ? h('li', {}, (() => { const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' }); sw.style.background = '#b8bec8'; return sw; })(), `Uden tema (${data.unplaced})`) : null);
  return h('div', { class: 'cake' }, rows, legend);
}

async function drawThemes(relay, panel) {
  const data = await api('GET', `/api/relays/${relay.id}/themes`);
  const k = h('input', { id: 'cluster-k', type: 'number', min: 2, max: 30, placeholder: 'auto' });
  const text = select('cluster-text', [['question', 'Spørgsmålet alene'], ['question_answer', 'Spørgsmål og svar']], 'question_answer');
  const seed = h('input', { id: 'cluster-seed', type: 'number', min: 0, value: 1 });
  const go = h('button', { type: 'button', text: data.themes.length ? 'Find temaer igen' : 'Find temaer' });
  go.addEventListener('click', async () => {
    const body = { text: text.value, seed: Number(seed.value) || 0 };
    if (k.value) body.k = Number(k.value);
    if (await run(go, () => api('POST', `/api/relays/${relay.id}/themes/cluster`, body))) {
      await drawThemes(relay, panel);
      toast('Temaerne er fundet. Dine egne temaer og placeringer er bevaret.');
    }
  });
  const label = h('input', { id: 'new-theme', placeholder: 'Fx "Borgerinddragelse"' });
  const add = h('button', { type: 'submit', class: 'secondary', text: 'Opret tema' });
  const addForm = h('form', { class: 'row' }, field('Nyt tema', label), h('div', { class: 'field' }, add));
  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!label.value.trim()) return;
    if (await run(add, () => api('POST', `/api/relays/${relay.id}/themes`, { label: label.value.trim() }))) await drawThemes(relay, panel);
  });

  const themeCards = data.themes.map((t) => themeCard(t, data, relay, panel));
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'themes-title' },
      h('h2', { id: 'themes-title', text: 'Temaer' }),
      h('p', { class: 'hint', text: 'Platformen grupperer spørgsmålene i temaer. Omdøb, slå sammen, del og flyt – dine ændringer bevares, når du finder temaer igen.' }),
      h('div', { class: 'row' }, field('Antal temaer', k), field('Tekst', text), field('Startværdi', seed), h('div', { class: 'field' }, go)),
      addForm),
    data.themes.length ? h('section', { class: 'card', 'aria-labelledby': 'cake-title' },
      h('h2', { id: 'cake-title', text: 'Kagen: temaer pr. gruppe' }), cake(data)) : null,
    themeCards,
    await suggestionsCard(relay, data, panel));
}

function themeCard(t, data, relay, panel) {
  const name = h('input', { id: `theme-label-${t.id}`, value: t.label });
  const rename = h('button', { type: 'button', class: 'small secondary', text: 'Omdøb' });
  rename.addEventListener('click', async () => {
    if (await run(rename, () => api('PATCH', `/api/themes/${t.id}`, { label: name.value.trim() }))) await drawThemes(relay, panel);
  });
  const into = select(`merge-into-${t.id}`, [['', 'Slå sammen med …'], ...data.themes.filter((o) => o.id !== t.id).map((o) => [String(o.id), o.label])]);
  into.setAttribute('aria-label', `Slå ${t.label} sammen med`);
  const merge = h('button', { type: 'button', class: 'small secondary', text: 'Slå sammen' });
  merge.addEventListener('click', async () => {
    if (!into.value) return;
    if (await run(merge, () => api('POST', `/api/themes/${t.id}/merge`, { into: Number(into.value) }))) await drawThemes(relay, panel);
  });
  const split = h('button', { type: 'button', class: 'small secondary', text: 'Del i to' });
  split.addEventListener('click', async () => {
    if (await run(split, () => api('POST', `/api/themes/${t.id}/split`, {}))) await drawThemes(relay, panel);
  });
  const del = h('button', { type: 'button', class: 'small danger', text: 'Slet' });
  del.addEventListener('click', async () => {
    if (!window.confirm(`Slet temaet "${t.label}"? Spørgsmålene bliver uden tema.`)) return;
    if (await run(del, () => api('DELETE', `/api/themes/${t.id}`))) await drawThemes(relay, panel);
  });
  const perGroup = Object.entries(t.per_group || {}).map(([g, n]) => `${g}: ${n}`).join(' · ');
  return h('section', { class: 'card theme', 'aria-labelledby': `theme-title-${t.id}`, dataset: { themeId: t.id } },
    h('h3', { id: `theme-title-${t.id}` }, t.label, ' ', h('span', { class: 'badge', text: `${t.size} spørgsmål` }), t.pinned ? h('span', { class: 'badge', text: 'fastholdt' }) : null),
    t.label_words.length ? h('p', { class: 'meta', text: `Nøgleord: ${t.label_words.join(', ')}` }) : null,
    perGroup ? h('p', { class: 'meta', text: perGroup }) : null,
    t.representatives.length ? h('ul', { class: 'list' }, t.representatives.map((q) => h('li', { class: 'question' }, h('p', { class: 'text', text: q.text })))) : h('p', { class: 'empty', text: 'Ingen spørgsmål endnu.' }),
    h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: name.id, text: 'Navn' }), name), h('div', { class: 'field' }, rename)),
    h('div', { class: 'actions' }, into, merge, split, del));
}

async function suggestionsCard(relay, data, panel) {
  if (!data.themes.length || !data.unplaced) return null;
  const suggestions = await api('GET', `/api/relays/${relay.id}/themes/suggestions`);
  if (!suggestions.length) return null;
  const texts = await api('GET', `/api/relays/${relay.id}/corpus?format=json`);
  const byId = new Map(texts.map((r) => [r.question_id, r]));
  const themeName = new Map(data.themes.map((t) => [t.id, t.label]));
  const items = suggestions.slice(0, 50).map((s) => {
    const q = byId.get(s.question_id);
    const choose = select(`suggest-${s.question_id}`, data.themes.map((t) => [String(t.id), t.label]), s.theme_id);
    choose.setAttribute('aria-label', `Tema for spørgsmål ${s.question_id}`);
    const accept = h('button', { type: 'button', class: 'small', text: 'Placér' });
    accept.addEventListener('click', async () => {
      if (await run(accept, () => api('PUT', `/api/questions/${s.question_id}/theme`, { theme_id: Number(choose.value) }))) await drawThemes(relay, panel);
    });
    return h('li', { class: 'question', dataset: { questionId: s.question_id } },
      h('p', { class: 'text', text: q ? q.question : `#${s.question_id}` }),
      h('p', { class: 'meta', text: `Forslag: ${themeName.get(s.theme_id)} (${Math.round(100 * s.confidence)} % sikker)` }),
      h('div', { class: 'actions' }, choose, accept));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'suggest-title' },
    h('h2', { id: 'suggest-title', text: `Forslag til spørgsmål uden tema (${suggestions.length})` }),
    h('p', { class: 'hint', text: 'Forslagene lærer af de spørgsmål, du har placeret. Placér eller ret med ét klik – de næste forslag bliver bedre.' }),
    h('ul', { class: 'list', id: 'suggestions' }, items));
}

// Words --------------------------------------------------------------------

async function drawWords(relay, panel) {
  const stats = await api('GET', `/api/relays/${relay.id}/stats`);
  const groups = stats.per_group.map((g) => g.group);
  const group = select('words-group', [['', 'Hele stafetten'], ...groups.map((g) => [g, g])]);
  const source = select('words-source', SOURCES, 'questions');
  const top = h('input', { id: 'words-top', type: 'number', min: 5, max: 200, value: 20 });
  const out = h('div', { id: 'words-chart', 'aria-live': 'polite' });
  const draw = async () => {
    const params = new URLSearchParams({ source: source.value, top: top.value || '20' });
    if (group.value) params.set('group', group.value);
    const res = await run(null, () => api('GET', `/api/relays/${relay.id}/words?${params}`));
    if (!res) return;
    replace(out, res.words.length
      ? bars(res.words, { label: (w) => w.word, value: (w) => w.count })
      : h('p', { class: 'empty', text: 'Ingen ord endnu.' }),
    h('p', { class: 'meta', text: 'Tallet er antal forekomster; ord er samlet på deres stamme og vist i den hyppigste form.' }));
  };
  for (const el of [group, source, top]) el.addEventListener('change', draw);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'words-title' },
    h('h2', { id: 'words-title', text: 'Hyppigste ord' }),
    h('div', { class: 'row' }, field('Gruppe', group), field('Tekst', source), field('Antal ord', top)),
    out));
  await draw();
}

// Distinctive words --------------------------------------------------------------

async function drawDistinctive(relay, panel) {
  if (!relays.length) relays = await api('GET', '/api/relays');
  const sides = [];
  for (const r of relays) {
    sides.push([String(r.id), `${r.title} (hele stafetten)`]);
    const stats = r.id === relay.id ? await api('GET', `/api/relays/${r.id}/stats`) : null;
    if (stats) for (const g of stats.per_group) sides.push([`${r.id}:${g.group}`, `${r.title}: ${g.group}`]);
  }
  const groupSides = sides.filter(([v]) => v.startsWith(`${relay.id}:`));
  const a = select('dist-a', sides, groupSides[0] ? groupSides[0][0] : String(relay.id));
  const b = select('dist-b', sides, groupSides[1] ? groupSides[1][0] : String(relay.id));
  const source = select('dist-source', SOURCES, 'questions');
  const out = h('div', { id: 'dist-chart', 'aria-live': 'polite' });
  const draw = async () => {
    const params = new URLSearchParams({ a: a.value, b: b.value, source: source.value, top: '15' });
    const res = await run(null, () => api('GET', `/api/analysis/distinctive?${params}`));
    if (!res) return;
    const list = (words, title) => h('div', { class: 'dist-side' }, h('h3', { text: title }),
      words.length ? bars(words, { label: (w) => `${w.word} (${w.count_a}/${w.count_b})`, value: (w) => Math.abs(w.z), format: (z) => z.toFixed(1) })
        : h('p', { class: 'empty', text: 'Ingen ord skiller sig ud.' }));
    replace(out,
      h('div', { class: 'two-col' }, list(res.a_words, `Mere brugt i ${res.a.label}`), list(res.b_words, `Mere brugt i ${res.b.label}`)),
      h('p', { class: 'meta', text: 'Vægtet log-odds med informativ Dirichlet-prior (Monroe, Colaresi & Quinn 2008); tallet er z-værdien. |z| > 1,96 svarer til 5 %-niveauet.' }));
  };
  for (const el of [a, b, source]) el.addEventListener('change', draw);
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'dist-title' },
    h('h2', { id: 'dist-title', text: 'Særlige ord: sammenlign to grupper eller stafetter' }),
    h('div', { class: 'row' }, field('Side A', a), field('Side B', b), field('Tekst', source)),
    out));
  await draw();
}

// Network ------------------------------------------------------------------

async function drawNetwork(relay, panel) {
  const net = await api('GET', `/api/relays/${relay.id}/network`);
  const max = Math.max(1, ...net.matrix.flat());
  const heat = h('table', { class: 'heat' },
    h('caption', { class: 'meta', text: 'Rækker: spørgerens gruppe. Kolonner: modtagerens gruppe.' }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Fra \\ til' }), net.groups.map((g) => h('th', { scope: 'col', text: g })))),
    h('tbody', {}, net.groups.map((g, i) => h('tr', {}, h('th', { scope: 'row', text: g }), net.matrix[i].map((n) => {
      const cell = h('td', { class: 'num heat-cell', text: String(n) });
      const a = n / max;
      // Two bands, so the number always keeps a 4.5:1 contrast: light cells with dark text,
      // dark cells with white text.
      const strong = a >= 0.5;
      cell.style.background = `rgba(11, 92, 173, ${strong ? 0.9 + 0.1 * a : 0.05 + 0.5 * a})`;
      cell.style.color = strong ? '#fff' : '#1b1f24';
      return cell;
    })))));
  const people = h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Deltager', 'Gruppe', 'Spurgt', 'Modtaget', 'Besvaret'].map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : '', text: c })))),
    h('tbody', {}, net.participants.map((p) => h('tr', {}, h('th', { scope: 'row', text: p.name ? `${p.name} (${p.pseudonym})` : p.pseudonym }), h('td', { text: p.group }),
      [p.asked, p.received, p.answered].map((n) => h('td', { class: 'num', text: String(n) })))))));
  const hist = Object.entries(net.chains.histogram).map(([len, n]) => ({ len: Number(len), n }));
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'net-title' },
      h('h2', { id: 'net-title', text: 'Hvem spurgte hvem' }),
      h('div', { class: 'table-wrap' }, heat)),
    h('section', { class: 'card', 'aria-labelledby': 'chain-title' },
      h('h2', { id: 'chain-title', text: 'Stafetkæder' }),
      h('p', { text: `${net.chains.count} kæder; den længste nåede ${net.chains.longest} spørgsmål.` }),
      hist.length ? bars(hist, { label: (x) => `${x.len} led`, value: (x) => x.n }) : null,
      net.chains.top.length ? h('ol', {}, net.chains.top.map((c) => h('li', { text: c.path.map((p) => `${p.pseudonym} (${p.group})`).join(' → ') }))) : null),
    h('section', { class: 'card', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', text: 'Deltagere' }), people));
}

// Report and export -----------------------------------------------------------

async function drawReport(relay, panel) {
  if (!relays.length) relays = await api('GET', '/api/relays');
  const compare = select('report-compare', [['', 'Kun denne stafet'], ...relays.filter((r) => r.id !== relay.id).map((r) => [String(r.id), r.title])]);
  const open = h('a', { class: 'button', id: 'report-link', href: `/api/relays/${relay.id}/report`, target: '_blank', rel: 'noopener', text: 'Åbn rapporten' });
  compare.addEventListener('change', () => {
    open.href = `/api/relays/${relay.id}/report${compare.value ? `?compare=${compare.value}` : ''}`;
  });
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'report-title' },
      h('h2', { id: 'report-title', text: 'Rapport' }),
      h('p', { class: 'hint', text: 'En side til print med kagen, de hyppigste og særlige ord, netværket og de stjernemarkerede spørgsmål og svar.' }),
      h('div', { class: 'row' }, field('Sammenlign med', compare), h('div', { class: 'field' }, open))),
    h('section', { class: 'card', 'aria-labelledby': 'export-title' },
      h('h2', { id: 'export-title', text: 'Eksport af korpus' }),
      h('p', { class: 'hint', text: user.role === 'analyst' ? 'Deltagerne står under pseudonymer (fx P017).' : 'Som facilitator får du navne og emails med.' }),
      h('div', { class: 'actions' }, ['csv', 'xlsx', 'json'].map((f) => h('a', {
        class: 'button secondary', href: `/api/relays/${relay.id}/corpus?format=${f}`, download: '', text: f.toUpperCase(),
      })))));
}

// ---------------------------------------------------------------- routing

async function route() {
  if (!user) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  try {
    if (parts[0] === 'relay') await showRelay(Number(parts[1]), parts[2]);
    else await showList();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) start();
    else replace(main, h('section', { class: 'card' }, h('h1', { text: 'Noget gik galt' }), h('p', { text: errorText(e) }), h('a', { href: '#/', text: 'Til oversigten' })));
  }
}

function start() {
  user = null;
  signIn({ main, whoami, ready: (u) => { user = u; route(); } });
}

window.addEventListener('hashchange', route);
start();

