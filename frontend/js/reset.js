// A forgotten staff password (/reset): the email form that asks for a link, and, opened from
// the emailed link (/reset/<token>), the form that sets the new password once.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { errorBox, errorText, field } from './forms.js';

const main = document.getElementById('main');
const token = location.pathname.split('/')[2] || '';

/** A form in a card that calls `send()` on submit and then shows `done` in its place. */
function card({ title, inputs, button, send, done }) {
  const out = errorBox();
  const submit = h('button', { type: 'submit', text: button });
  const form = h('form', { class: 'card', 'aria-labelledby': 'reset-title' },
    h('h1', { id: 'reset-title', text: title }), inputs, out, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    out.hidden = true;
    try {
      await send();
      replace(main, h('section', { class: 'card', role: 'status' },
        h('h1', { text: title }), h('p', { text: done }),
        h('p', {}, h('a', { href: '/console', text: 'Til log ind' }))));
    } catch (err) {
      out.textContent = errorText(err);
      out.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
}

if (token) {
  const password = h('input', {
    id: 'reset-password', type: 'password', autocomplete: 'new-password', required: true,
    minlength: 12, maxlength: 256,
  });
  card({
    title: 'Vælg en ny adgangskode',
    inputs: field('Ny adgangskode', password, 'Mindst 12 tegn.'),
    button: 'Gem adgangskoden',
    send: () => api('POST', `/api/auth/reset/${encodeURIComponent(token)}`,
      { password: password.value }),
    done: 'Din adgangskode er skiftet, og alle dine sessioner er logget ud. Log ind med den nye.',
  });
} else {
  const email = h('input', {
    id: 'reset-email', type: 'email', autocomplete: 'email', required: true,
  });
  card({
    title: 'Glemt adgangskode',
    inputs: field('Email', email, 'Vi sender et link, der virker én gang og i en time.'),
    button: 'Send mig et link',
    send: () => api('POST', '/api/auth/reset', { email: email.value.trim() }),
    done: 'Har adressen en konto, er et link til at nulstille adgangskoden på vej.',
  });
}
