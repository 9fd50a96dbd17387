// The account page (#/account), for every staff member: change the password, turn two-factor
// sign-in on and off, see and end one's browser sessions, and make, see and revoke API tokens
// (a new token's secret is shown once). A person whose organisation requires two-factor
// sign-in and who has not turned it on sees only what lets them do so.

import { api } from '../api.js';
import { h, replace, shortTime } from '../dom.js';
import { errorBox, errorText, field } from '../forms.js';
import { twoFactorSection } from './twofactor.js';

const when = (iso) => (iso ? shortTime(iso, 'da', 'Europe/Copenhagen') : '–');

/**
 * Shows the account page in `main`. `totp` is `{on, required}` from `/api/auth/me`; `onTotp(on)`
 * hears when two-factor sign-in was turned on or off, and `proceed()` leaves the page once a
 * person who had to enrol has done so.
 */
export async function showAccount(main, { totp = {}, onTotp = () => {}, proceed } = {}) {
  document.title = 'Stafet · Min konto';
  const title = h('h1', { text: 'Min konto' });
  if (totp.required && !totp.on) {
    const next = h('button', {
      type: 'button', id: 'totp-continue', text: 'Fortsæt', hidden: true,
    });
    next.addEventListener('click', () => proceed && proceed());
    const enrolled = (on) => { onTotp(on); next.hidden = !on; };
    replace(main, title,
      h('p', { class: 'notice', role: 'status', id: 'totp-needed', text: 'Din organisation ' +
        'kræver totrinsbekræftelse. Slå den til for at fortsætte.' }),
      twoFactorSection(false, enrolled), next, passwordForm());
    return;
  }
  const sessions = h('section', { class: 'card', 'aria-labelledby': 'sessions-title' });
  const tokens = h('section', { class: 'card', 'aria-labelledby': 'tokens-title' });
  replace(main,
    title,
    passwordForm(),
    twoFactorSection(Boolean(totp.on), onTotp),
    sessions,
    tokens);
  await Promise.all([showSessions(sessions), showTokens(tokens)]);
}

function passwordForm() {
  const current = h('input', {
    id: 'pw-current', type: 'password', autocomplete: 'current-password', required: true,
  });
  const next = h('input', {
    id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true,
    minlength: 12, maxlength: 256,
  });
  const out = errorBox();
  const done = h('p', { class: 'notice', role: 'status', hidden: true });
  const button = h('button', { type: 'submit', text: 'Skift adgangskode' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'pw-title' },
    h('h2', { id: 'pw-title', text: 'Adgangskode' }),
    field('Nuværende adgangskode', current),
    field('Ny adgangskode', next, 'Mindst 12 tegn. Dine andre sessioner logges ud.'),
    out, done, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    out.hidden = true;
    done.hidden = true;
    try {
      await api('POST', '/api/auth/password', { current: current.value, new: next.value });
      form.reset();
      done.textContent = 'Adgangskoden er skiftet. Dine andre sessioner er logget ud.';
      done.hidden = false;
    } catch (err) {
      out.textContent = errorText(err);
      out.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function showSessions(section) {
  const list = await api('GET', '/api/auth/sessions');
  replace(section,
    h('h2', { id: 'sessions-title', text: 'Sessioner' }),
    h('ul', { class: 'list session-list' }, list.map((s) => {
      const end = s.current ? h('span', { class: 'badge', text: 'Denne session' })
        : h('button', {
          type: 'button', class: 'small secondary', text: 'Log ud',
          onclick: async () => {
            await api('DELETE', `/api/auth/sessions/${s.id}`);
            await showSessions(section);
          },
        });
      return h('li', { dataset: { id: s.id } },
        h('span', { text: s.user_agent }),
        h('span', { class: 'meta', text: `Logget ind ${when(s.created_at)} · ` +
          `sidst brugt ${when(s.last_seen_at)}` }),
        end);
    })));
}

async function showTokens(section) {
  const list = await api('GET', '/api/auth/tokens');
  const name = h('input', { id: 'token-name', required: true, maxlength: 100 });
  const days = h('input', {
    id: 'token-days', type: 'number', min: 1, max: 365, value: 90, required: true,
  });
  const out = errorBox();
  const secret = h('div', { class: 'token-secret', hidden: true });
  const form = h('form', { class: 'inline' },
    field('Navn', name), field('Udløber om (dage)', days), out,
    h('button', { type: 'submit', text: 'Lav token' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.hidden = true;
    try {
      const made = await api('POST', '/api/auth/tokens',
        { name: name.value, expires_in_days: Number(days.value) });
      await showTokens(section);
      const shown = section.querySelector('.token-secret');
      replace(shown,
        h('p', { text: 'Kopiér din nye token nu. Den vises ikke igen:' }),
        h('code', { id: 'new-token', text: made.token }));
      shown.hidden = false;
    } catch (err) {
      out.textContent = errorText(err);
      out.hidden = false;
    }
  });
  replace(section,
    h('h2', { id: 'tokens-title', text: 'API-tokens' }),
    secret,
    list.length === 0 ? h('p', { class: 'empty', text: 'Du har ingen tokens.' })
      : h('ul', { class: 'list token-list' }, list.map((t) => h('li', { dataset: { id: t.id } },
        h('span', { text: t.name || 'token' }),
        h('span', { class: 'meta', text: `Udløber ${when(t.expires_at)} · ` +
          `sidst brugt ${when(t.last_used_at)}` }),
        h('button', {
          type: 'button', class: 'small secondary', text: 'Tilbagekald',
          'aria-label': `Tilbagekald ${t.name || 'token'}`,
          onclick: async () => {
            await api('DELETE', `/api/auth/tokens/${t.id}`);
            await showTokens(section);
          },
        })))),
    form);
}
