// The organisation's members (admins only): roles, removal, invitations by email, whether
// members must sign in with two factors, and the audit log with its filters and CSV export.

import { api } from '../api.js';
import { h, replace, shortTime, toast } from '../dom.js';
import { busy } from '../calls.js';
import { errorBox, field, select } from '../forms.js';

const ROLES = [
  ['admin', 'Administrator'], ['facilitator', 'Facilitator'], ['analyst', 'Analytiker'],
];

/** Draws the members page of `org` in `main`; `reload` draws it again after a change. */
export async function showMembers(main, org, reload) {
  const members = await api('GET', `/api/orgs/${org.id}/members`);
  document.title = `Medlemmer · ${org.name} · Stafet`;
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'members-title' },
      h('h1', { id: 'members-title', text: `Medlemmer af ${org.name}` }),
      h('p', {}, h('a', { href: '#/audit', text: 'Se revisionsloggen' })),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Email' }),
          h('th', { scope: 'col', text: 'Rolle' }),
          h('th', { scope: 'col', text: 'Handling' }))),
        h('tbody', {}, members.map((m) => memberRow(org, m, reload))))),
    requireTotpSwitch(org, reload),
    inviteForm(org, reload));
}

// Turning the requirement on closes the console to members (this admin too) until they have
// turned two-factor sign-in on: `reload` routes to their account page when that is them.
function requireTotpSwitch(org, reload) {
  const box = h('input', { id: 'require-totp', type: 'checkbox' });
  box.checked = Boolean(org.require_totp);
  const out = errorBox();
  box.addEventListener('change', async () => {
    const on = box.checked;
    const done = await busy(box,
      () => api('PATCH', `/api/orgs/${org.id}`, { require_totp: on }), out);
    if (!done) { box.checked = !on; return; }
    org.require_totp = done.require_totp;
    toast(on ? 'Medlemmerne skal nu bruge totrinsbekræftelse.'
      : 'Totrinsbekræftelse er ikke længere et krav.');
    reload();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'require-totp-title' },
    h('h2', { id: 'require-totp-title', text: 'Totrinsbekræftelse' }),
    h('div', { class: 'field checkbox' }, box,
      h('label', { for: 'require-totp', text: 'Kræv totrinsbekræftelse af alle medlemmer' })),
    h('p', { class: 'hint', text: 'Medlemmer uden totrinsbekræftelse kan kun åbne deres ' +
      'kontoside, indtil de har slået den til.' }),
    out);
}

function memberRow(org, m, reload) {
  const role = select(`role-${m.user_id}`, ROLES, m.role);
  role.setAttribute('aria-label', `Rolle for ${m.email}`);
  role.addEventListener('change', async () => {
    const done = await busy(role, () => api('PATCH',
      `/api/orgs/${org.id}/members/${m.user_id}`, { role: role.value }));
    if (done) toast(`${m.email} er nu ${role.options[role.selectedIndex].text.toLowerCase()}.`);
    else role.value = m.role;
  });
  const remove = h('button', { type: 'button', class: 'small secondary', text: 'Fjern' });
  remove.setAttribute('aria-label', `Fjern ${m.email}`);
  remove.addEventListener('click', async () => {
    const done = await busy(remove,
      () => api('DELETE', `/api/orgs/${org.id}/members/${m.user_id}`));
    if (done !== undefined) { toast(`${m.email} er fjernet.`); reload(); }
  });
  return h('tr', {}, h('td', { text: m.email }), h('td', {}, role), h('td', {}, remove));
}

function inviteForm(org, reload) {
  const email = h('input', { id: 'invite-email', type: 'email', required: true });
  const role = select('invite-role', ROLES, 'facilitator');
  const out = errorBox();
  const send = h('button', { type: 'submit', text: 'Send invitation' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title', text: 'Inviter en ny medarbejder' }),
    h('p', {
      class: 'hint',
      text: 'Personen får en email med et link, der virker én gang i 72 timer.',
    }),
    field('Email', email), field('Rolle', role), out, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const sent = await busy(send, () => api('POST', `/api/orgs/${org.id}/invitations`,
      { email: email.value.trim(), role: role.value }), out);
    if (sent) { toast(`Invitationen er sendt til ${sent.email}.`); reload(); }
  });
  return form;
}

/** Draws the audit log of `org`, filtered by action and time, with its CSV export. */
export async function showAudit(main, org) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const kind = params.get('kind') || '';
  const since = params.get('since') || '';
  const query = new URLSearchParams();
  if (kind) query.set('kind', kind);
  if (since) query.set('since', new Date(since).toISOString());
  const rows = await api('GET', `/api/orgs/${org.id}/audit?${query}`);
  document.title = `Revisionslog · ${org.name} · Stafet`;
  const kindInput = h('input', { id: 'audit-kind', value: kind, placeholder: 'fx sign_in' });
  const sinceInput = h('input', { id: 'audit-since', type: 'date', value: since });
  const filter = h('form', { class: 'actions' },
    field('Handling', kindInput), field('Fra dato', sinceInput),
    h('button', { type: 'submit', text: 'Filtrer' }));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (kindInput.value.trim()) q.set('kind', kindInput.value.trim());
    if (sinceInput.value) q.set('since', sinceInput.value);
    location.hash = `#/audit?${q}`;
  });
  const csv = new URLSearchParams(query);
  csv.set('format', 'csv');
  replace(main, h('section', { class: 'card', 'aria-labelledby': 'audit-title' },
    h('h1', { id: 'audit-title', text: `Revisionslog for ${org.name}` }),
    filter,
    h('p', {}, h('a', {
      href: `/api/orgs/${org.id}/audit?${csv}`, download: '', text: 'Hent som CSV',
    })),
    rows.length === 0
      ? h('p', { class: 'empty', text: 'Ingen hændelser.' })
      : h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Tid', 'Hvem', 'Handling', 'Mål', 'Stafet']
          .map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows.map((r) => h('tr', {},
          h('td', { text: shortTime(r.at, 'da') }),
          h('td', { text: r.actor }),
          h('td', { text: r.action }),
          h('td', { text: r.target_kind ? `${r.target_kind} ${r.target_id}` : '' }),
          h('td', { text: r.relay_id ?? '' })))))));
}
