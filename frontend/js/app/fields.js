// The participant's text fields: a textarea with its counter whose text is kept as a draft on
// this device, and the errors shown under a form.

import { h, toast } from '../dom.js';
import { errorText, visibleLength } from '../forms.js';
import { t } from './strings.js';
import { page } from './state.js';

// Drafts live in this device's storage, per participant and per form, so a reload or a lost
// connection never costs a leader the answer they were writing.
function draftKey(name) {
  return `stafet:draft:${page.me.participant.id}:${name}`;
}

function loadDraft(name) {
  try { return localStorage.getItem(draftKey(name)) || ''; } catch { return ''; }
}

/** Keeps `value` as the draft `name`; an empty value forgets it. */
export function saveDraft(name, value) {
  try {
    if (value) localStorage.setItem(draftKey(name), value);
    else localStorage.removeItem(draftKey(name));
  } catch { /* private mode: drafts are a convenience */ }
}

/** A textarea with its label, character counter and draft storage. */
export function textField({ id, label, hint, limits, draft, rows = 5 }) {
  const area = h('textarea', {
    id, name: id, rows, maxlength: limits.max, required: true,
    'aria-describedby': `${id}-count${hint ? ` ${id}-hint` : ''}`,
  });
  area.value = loadDraft(draft);
  const count = h('span', { id: `${id}-count`, class: 'count', 'aria-live': 'off' });
  const update = () => {
    count.textContent = t.chars(visibleLength(area.value), limits.max);
    saveDraft(draft, area.value);
  };
  area.addEventListener('input', update);
  update();
  return {
    area,
    node: h('div', { class: 'field' },
      h('label', { for: id, text: label }),
      hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
      area,
      count),
  };
}

/** Shows why sending `form` failed, under the form and in a toast. */
export function fail(e, form) {
  const message = errorText(e, t.network, t.error);
  const out = form.querySelector('.form-error');
  if (out) {
    out.textContent = message;
    out.hidden = false;
  }
  toast(message, 'error');
}

/** Whether `area` holds fewer than `min` characters; if so, says so under `form`. */
export function tooShort(area, min, form) {
  if (visibleLength(area.value) >= min) return false;
  const out = form.querySelector('.form-error');
  out.textContent = t.tooShort(min);
  out.hidden = false;
  area.focus();
  return true;
}
