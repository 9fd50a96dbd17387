// Running the staff pages' API calls: a button stays disabled while its call runs, a failure is
// shown to the person, and an ended session (401) sends them back to the login.

import { ApiError } from './api.js';
import { h, replace, toast } from './dom.js';
import { errorText } from './forms.js';

let signedOut = () => {};

/** Sets what happens when a call finds the session ended: the page shows its login again. */
export function onSignedOut(handler) {
  signedOut = handler;
}

/**
 * Runs `action` with `button` disabled. A failure is shown in `out` (or a toast) and resolves
 * to undefined; so does an ended session, after the `onSignedOut` handler has run.
 */
export async function busy(button, action, out) {
  if (button) button.disabled = true;
  if (out) out.hidden = true;
  try {
    return await action();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signedOut();
      return undefined;
    }
    if (out) {
      out.textContent = errorText(e);
      out.hidden = false;
    } else {
      toast(errorText(e), 'error');
    }
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Shows why a screen could not be drawn in `main`, or the login when the session ended. */
export function showFailure(main, e) {
  if (e instanceof ApiError && e.status === 401) {
    signedOut();
    return;
  }
  replace(main, h('section', { class: 'card' },
    h('h1', { text: 'Noget gik galt' }),
    h('p', { text: errorText(e) }),
    h('a', { href: '#/', text: 'Til oversigten' })));
}
