// Staff sign-in shared by the console and the analysis pages: shows the login form when there
// is no session, the user and a logout button when there is.

import { api, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { errorText, field } from './forms.js';

/**
 * Makes sure a staff user is signed in, then calls `ready(user)`. `main` holds the login form
 * while needed; `whoami` shows the user and a logout button.
 */
export async function signIn({ main, whoami, ready, message }) {
  try {
    const me = await api('GET', '/api/auth/me');
    showUser(whoami, me.user, () => signIn({ main, whoami, ready }));
    ready({ ...me.user, orgs: me.orgs || [], totp: me.totp || { on: false, required: false } });
  } catch (e) {
    const staffOnly = e instanceof ApiError && e.status === 403;
    showLogin({
      main, whoami, ready,
      message: message || (staffOnly ? 'Log ind med en medarbejderkonto.' : ''),
    });
  }
}

function showUser(whoami, user, after) {
  const logout = h('button', { type: 'button', class: 'small secondary', text: 'Log ud' });
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    try { await api('POST', '/api/auth/logout'); } catch { /* the session is gone either way */ }
    after();
  });
  const account = h('a', { href: '/console#/account', text: 'Min konto' });
  replace(whoami, h('span', { text: `${user.email} · ` }), account, ' · ', logout);
}

function showLogin({ main, whoami, ready, message }) {
  replace(whoami);
  const email = h('input', {
    id: 'login-email', type: 'email', autocomplete: 'username', required: true,
  });
  const password = h('input', {
    id: 'login-password', type: 'password', autocomplete: 'current-password', required: true,
  });
  // Asked for once the server says the account has two-factor sign-in on.
  const code = h('input', {
    id: 'login-totp', autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 24,
  });
  const codeField = field('Kode fra din godkendelsesapp', code,
    'Seks cifre fra appen, eller en af dine gendannelseskoder.');
  codeField.hidden = true;
  const out = h('p', { class: 'form-error', role: 'alert', hidden: !message, text: message || '' });
  const button = h('button', { type: 'submit', text: 'Log ind' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', text: 'Log ind' }),
    field('Email', email),
    field('Adgangskode', password),
    codeField,
    out,
    button,
    h('p', { class: 'hint' },
      h('a', { href: '/reset', text: 'Glemt adgangskode?' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    out.hidden = true;
    try {
      const body = { email: email.value.trim(), password: password.value };
      if (!codeField.hidden) body.totp = code.value.trim();
      await api('POST', '/api/auth/login', body);
      // Who signed in, with their organisations.
      await signIn({ main, whoami, ready });
    } catch (err) {
      const needsCode = err instanceof ApiError && err.code === 'totp_required';
      if (needsCode) {
        codeField.hidden = false;
        code.required = true;
        code.focus();
      }
      out.textContent = needsCode ? 'Indtast koden fra din godkendelsesapp.' : errorText(err);
      out.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  email.focus();
}
