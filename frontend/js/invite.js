// The invitation page: posts the chosen password to take the invitation in the link up, and
// goes to the console signed in.

import { api } from './api.js';

const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const form = document.getElementById('accept');
const status = document.getElementById('status');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = form.elements.password.value;
  status.textContent = 'Et øjeblik …';
  try {
    await api('POST', `/api/auth/invitations/${encodeURIComponent(token)}`, { password });
    location.assign('/console');
  } catch (err) {
    status.textContent = err.message || 'Invitationen kunne ikke bruges.';
    form.elements.password.focus();
  }
});
