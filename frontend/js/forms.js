// Form pieces every page uses: a labelled field, a select, the error box under a form, and the
// text a person reads when a call fails.

import { ApiError } from './api.js';
import { h } from './dom.js';

/** What to tell a person about a failed call: `network` when the server could not be reached. */
export function errorText(e, network = 'Ingen forbindelse til serveren.',
  fallback = 'Noget gik galt.') {
  if (e instanceof ApiError && e.code === 'network') return network;
  return e.message || fallback;
}

/** `input` with its label above it and, when given, a hint between the two. */
export function field(label, input, hint) {
  const id = input.id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
    input);
}

/** A select of `[value, label]` options, set to `value` when given. */
export function select(id, options, value) {
  const el = h('select', { id },
    options.map(([v, label]) => h('option', { value: v, text: label })));
  if (value !== undefined) el.value = String(value);
  return el;
}

/** The hidden alert a form shows its error in. */
export function errorBox() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

// What shows nothing by itself (controls, format characters such as zero-width spaces and bidi
// controls, combining marks) and what looks blank at a text's ends: the server's rule
// (src/relay/text.rs), so the counter a person sees agrees with what the server accepts.
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Mn}\p{Me}\p{Variation_Selector}]+$/u;
const BLANK = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Mn}\p{Me}\u2800\u115F\u1160\u3164\uFFA0]+$/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The visible characters of `text` after blank ones are trimmed from its ends. */
export function visibleLength(text) {
  const parts = [...graphemes.segment(text.replace(/\r\n?/g, '\n'))].map((s) => s.segment)
    .filter((g) => g === '\n' || g === '\t' || !/^\p{Cc}+$/u.test(g));
  const shows = (g) => !BLANK.test(g);
  const start = parts.findIndex(shows);
  if (start < 0) return 0;
  const end = parts.findLastIndex(shows);
  return parts.slice(start, end + 1).filter((g) => g === '\n' || g === '\t' || !INVISIBLE.test(g))
    .length;
}
