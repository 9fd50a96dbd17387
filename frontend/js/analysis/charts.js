// The analysis charts: horizontal bars, and the cake (each group's questions by theme).

import { h } from '../dom.js';

const PALETTE = [
  '#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d',
  '#4d7c0f', '#1e40af', '#9a3412', '#6d28d9',
];
const UNPLACED = '#b8bec8';

/** A horizontal bar list: label, bar (width by value), number. */
export function bars(items, { label, value, format = String, max }) {
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

function swatch(color) {
  const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  sw.style.background = color;
  return sw;
}

/** One strip per group, cut into its themes, with the legend below. */
export function cake(data) {
  const color = new Map(data.themes.map((t, i) => [t.id, PALETTE[i % PALETTE.length]]));
  const rows = data.cake.map((g) => {
    const total = g.total || 1;
    const strip = h('div', {
      class: 'cake-strip', role: 'img',
      'aria-label': `${g.group}: ${g.slices.map((s) => `${s.label} ${s.count}`).join(', ')}`,
    });
    for (const s of g.slices) {
      const part = h('span', { class: 'slice', title: `${s.label}: ${s.count}` });
      part.style.width = `${(100 * s.count) / total}%`;
      part.style.background = s.theme_id === null ? UNPLACED : color.get(s.theme_id);
      strip.append(part);
    }
    return h('div', { class: 'cake-row' },
      h('span', { class: 'bar-label', text: `${g.group} (${g.total})` }), strip);
  });
  const legend = h('ul', { class: 'legend' },
    data.themes.map((t) => h('li', {}, swatch(color.get(t.id)), `${t.label} (${t.size})`)),
    data.unplaced ? h('li', {}, swatch(UNPLACED), `Uden tema (${data.unplaced})`) : null);
  return h('div', { class: 'cake' }, rows, legend);
}
