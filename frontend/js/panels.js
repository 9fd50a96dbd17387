// The frames the staff pages draw a relay's screens in: a tab bar with the panel it controls,
// and tables.

import { h } from './dom.js';

/**
 * The tab bar for `tabs` (`[key, label]` pairs) of relay `relayId`, with `tab` (or the first)
 * selected, and the panel that tab draws in. A tab is a link: choosing one changes the hash.
 */
export function tabbed(label, tabs, tab, relayId) {
  const current = tabs.some(([k]) => k === tab) ? tab : tabs[0][0];
  const panel = h('div', {
    id: 'panel', role: 'tabpanel', 'aria-labelledby': `tab-${current}`, tabindex: '-1',
  });
  const bar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': label },
    tabs.map(([key, text]) => h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === current),
      'aria-controls': 'panel', text,
      onclick: () => { location.hash = `#/relay/${relayId}/${key}`; },
    })));
  return { current, bar, panel };
}

/** A scrollable table: `headers` are `[label, numeric]`, numeric columns align right. */
export function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'meta', text: caption }) : null,
    h('thead', {}, h('tr', {}, headers.map(([label, num]) => h('th', {
      scope: 'col', class: num ? 'num' : '', text: label,
    })))),
    h('tbody', {}, rows)));
}
