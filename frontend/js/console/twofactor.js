// Two-factor sign-in (TOTP) on the account page: turning it on (the secret and its otpauth URI
// as text for the authenticator app, a field for the first code, then the recovery codes shown
// once) and off (with the password).

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { busy } from '../calls.js';
import { errorBox, field } from '../forms.js';

/**
 * The "Totrinsbekræftelse" section: `on` whether TOTP is on now, `onChange(on)` called after
 * it was turned on or off.
 */
export function twoFactorSection(on, onChange) {
  const section = h('section', { class: 'card', id: 'totp', 'aria-labelledby': 'totp-title' });
  draw(section, on, onChange);
  return section;
}

function draw(section, on, onChange) {
  const title = h('h2', { id: 'totp-title', text: 'Totrinsbekræftelse' });
  if (on) replace(section, title, h('p', { text: 'Totrinsbekræftelse er slået til.' }),
    offForm(section, onChange));
  else replace(section, title, startButton(section, onChange));
}

function startButton(section, onChange) {
  const out = errorBox();
  const start = h('button', {
    type: 'button', id: 'totp-start', text: 'Slå totrinsbekræftelse til',
  });
  start.addEventListener('click', async () => {
    const made = await busy(start, () => api('POST', '/api/auth/totp', {}), out);
    if (made) replace(section, section.firstChild, confirmForm(section, made, onChange));
  });
  return h('div', {},
    h('p', { text: 'Ved log ind skal du ud over adgangskoden angive en kode fra en app som ' +
      'Google Authenticator, Microsoft Authenticator eller 1Password.' }),
    out, start);
}

function confirmForm(section, made, onChange) {
  const code = h('input', {
    id: 'totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true,
    pattern: '[0-9]{6}', maxlength: 6,
  });
  const out = errorBox();
  const button = h('button', { type: 'submit', text: 'Bekræft' });
  const form = h('form', {},
    h('p', { text: 'Tilføj kontoen i din app med denne hemmelige nøgle:' }),
    h('p', {}, h('code', { id: 'totp-secret', text: made.secret })),
    h('p', { text: 'eller med denne adresse (otpauth):' }),
    h('p', {}, h('code', { id: 'totp-uri', class: 'wrap', text: made.otpauth_uri })),
    field('Kode fra appen', code, 'Seks cifre. Koden skifter hvert 30. sekund.'),
    out, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const done = await busy(button,
      () => api('POST', '/api/auth/totp', { totp: code.value.trim() }), out);
    if (!done) return;
    draw(section, true, onChange);
    section.insertBefore(recoveryCodes(done.recovery_codes), section.children[1]);
    onChange(true);
  });
  return form;
}

function recoveryCodes(codes) {
  return h('div', { class: 'notice', role: 'status' },
    h('p', { text: 'Gem disse gendannelseskoder nu. De vises ikke igen. Hver kode kan bruges ' +
      'én gang i stedet for en kode fra appen.' }),
    h('ul', { id: 'totp-recovery', class: 'recovery-codes' },
      codes.map((c) => h('li', {}, h('code', { text: c })))));
}

function offForm(section, onChange) {
  const password = h('input', {
    id: 'totp-off-password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const out = errorBox();
  const button = h('button', { type: 'submit', class: 'secondary', text: 'Slå fra' });
  const form = h('form', {}, field('Adgangskode', password), out, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const done = await busy(button,
      () => api('DELETE', '/api/auth/totp', { password: password.value }), out);
    if (done === undefined) return;
    draw(section, false, onChange);
    onChange(false);
  });
  return form;
}
