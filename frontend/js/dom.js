// Building the page from data. Everything a person typed goes in as a text node, never as HTML,
// so a question that contains "<script>" is shown, not run.

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<Event>` (listeners), `dataset`,
 * anything else as an attribute (false/null/undefined leave it out). Children are nodes or
 * strings (strings become text nodes).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    }
    else if (key === 'value') el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Text with its line breaks kept (CSS `white-space: pre-wrap` does the rest). */
export function para(text, cls = 'text') {
  return h('p', { class: cls, text });
}

/** A date and time in `timeZone`, in the page's language. */
export function formatTime(iso, lang, timeZone) {
  return dateText(iso, lang, timeZone, { dateStyle: 'full', timeStyle: 'short' });
}

/** A short time of day or date, for lists. */
export function shortTime(iso, lang, timeZone) {
  return dateText(iso, lang, timeZone,
    { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

function dateText(iso, lang, timeZone, opts) {
  if (!iso) return '';
  const locale = lang === 'da' ? 'da-DK' : 'en-GB';
  try {
    return new Intl.DateTimeFormat(locale, { ...opts, timeZone }).format(new Date(iso));
  } catch {
    // A zone this browser does not know: the browser's own zone rather than nothing.
    return new Intl.DateTimeFormat(locale, opts).format(new Date(iso));
  }
}

/** Announces `message` in the page's live region (screen readers) and shows it briefly. */
export function toast(message, kind = 'info') {
  let region = document.getElementById('toast');
  if (!region) {
    region = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  region.dataset.kind = kind;
  region.textContent = message;
  region.hidden = false;
  clearTimeout(region._timer);
  region._timer = setTimeout(() => { region.hidden = true; }, 6000);
}
