// The network: who asks whom about what as a graph (each link coloured by the theme that
// carries most of its questions), the matrix as a heat map and a table of the links (the
// accessible alternative), the relay chains, and each participant's counts.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { table } from '../panels.js';
import { bars } from './charts.js';

function heatCell(n, max) {
  const cell = h('td', { class: 'num heat-cell', text: String(n) });
  const a = n / max;
  // Two bands, so the number always keeps a 4.5:1 contrast: light cells with dark text,
  // dark cells with white text.
  const strong = a >= 0.5;
  cell.style.background = `rgba(11, 92, 173, ${strong ? 0.9 + 0.1 * a : 0.05 + 0.5 * a})`;
  cell.style.color = strong ? '#fff' : '#1b1f24';
  return cell;
}

function heatMap(net) {
  const max = Math.max(1, ...net.matrix.flat());
  return h('table', { class: 'heat' },
    h('caption', {
      class: 'meta', text: 'Rækker: spørgerens gruppe. Kolonner: modtagerens gruppe.',
    }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Fra \\ til' }),
      net.groups.map((g) => h('th', { scope: 'col', text: g })))),
    h('tbody', {}, net.groups.map((g, i) => h('tr', {}, h('th', { scope: 'row', text: g }),
      net.matrix[i].map((n) => heatCell(n, max))))));
}

function peopleTable(net) {
  const rows = net.participants.map((p) => h('tr', {},
    h('th', { scope: 'row', text: p.name ? `${p.name} (${p.pseudonym})` : p.pseudonym }),
    h('td', { text: p.group }),
    [p.asked, p.received, p.answered].map((n) => h('td', { class: 'num', text: String(n) }))));
  return table([['Deltager'], ['Gruppe'], ['Spurgt', 1], ['Modtaget', 1], ['Besvaret', 1]], rows);
}

/** The themed network drawn by the server, as an element of this page (null if it fails). */
async function graph(relay) {
  const res = await fetch(`/api/relays/${relay.id}/network/svg?lang=da`,
    { credentials: 'same-origin' });
  if (!res.ok) return null;
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  const svg = doc.documentElement;
  return svg.nodeName === 'svg' ? document.importNode(svg, true) : null;
}

function linksTable(net) {
  const split = (l) => l.split.map((s) => `${s.theme_label ?? 'uden tema'}: ${s.count}`)
    .join(', ');
  const rows = net.links.map((l) => h('tr', {},
    h('th', { scope: 'row', text: `${l.from} → ${l.to}` }),
    h('td', { class: 'num', text: String(l.count) }),
    h('td', { text: l.theme_label ?? 'uden tema' }),
    h('td', { text: split(l) })));
  return table([['Fra → til'], ['Spørgsmål', 1], ['Mest om'], ['Fordelt på temaer']], rows);
}

/** Draws the network of `relay` in `panel`. */
export async function drawNetwork(relay, panel) {
  const [net, svg] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/network`), graph(relay),
  ]);
  const { chains } = net;
  const hist = Object.entries(chains.histogram).map(([len, n]) => ({ len: Number(len), n }));
  const path = (c) => c.path.map((p) => `${p.pseudonym} (${p.group})`).join(' → ');
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'graph-title' },
      h('h2', { id: 'graph-title', text: 'Hvem spørger hvem om hvad' }),
      h('div', { class: 'network-graph', id: 'network-graph' }, svg),
      linksTable(net)),
    h('section', { class: 'card', 'aria-labelledby': 'net-title' },
      h('h2', { id: 'net-title', text: 'Hvem spurgte hvem' }),
      h('div', { class: 'table-wrap' }, heatMap(net))),
    h('section', { class: 'card', 'aria-labelledby': 'chain-title' },
      h('h2', { id: 'chain-title', text: 'Stafetkæder' }),
      h('p', { text: `${chains.count} kæder; den længste nåede ${chains.longest} spørgsmål.` }),
      hist.length ? bars(hist, { label: (x) => `${x.len} led`, value: (x) => x.n }) : null,
      chains.top.length ? h('ol', {}, chains.top.map((c) => h('li', { text: path(c) }))) : null),
    h('section', { class: 'card', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', text: 'Deltagere' }), peopleTable(net)));
}
