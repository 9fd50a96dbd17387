// Tables of shares (question form, focus) per group, round or theme, as percentages.

import { h } from '../dom.js';
import { table } from '../panels.js';

/** A share as a whole percentage. */
export function percent(x) {
  return `${Math.round((x || 0) * 100)} %`;
}

/**
 * A table with a row per `[label, shares]` of `rows`, a column per `[key, label]` of
 * `columns` and the count last.
 */
export function shareTable(caption, head, rows, columns) {
  const body = rows.map(([label, s]) => h('tr', {},
    h('th', { scope: 'row', text: label }),
    columns.map(([key]) => h('td', { class: 'num', text: percent(s[key]) })),
    h('td', { class: 'num', text: String(s.count) })));
  return table([[head], ...columns.map(([, l]) => [l, 1]), ['Antal', 1]], body, caption);
}

/** `[label, shares]` rows of a `{name: shares}` object. */
export function byName(obj) {
  return Object.entries(obj);
}

/** `[label, shares]` rows of a `[{id, label, ...shares}]` list, `none` naming the null row. */
export function byKey(list, none) {
  return list.map((k) => [k.label ?? none, k]);
}
