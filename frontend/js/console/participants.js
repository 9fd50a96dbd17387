// The relay's participants: what each has done, their latest email, and for the facilitator
// resend, suspend and erase on request, with the import above the table while the relay is not
// closed.

import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { busy } from '../calls.js';
import { table } from '../panels.js';
import { EMAIL_KIND, EMAIL_STATUS } from './labels.js';
import { importCard } from './import.js';
import { eraseButton } from './erase.js';

const HEADERS = [
  ['Navn'], ['Email'], ['Gruppe'], ['Status'],
  ['Spurgt', 1], ['Modtaget', 1], ['Besvaret', 1], ['Seneste email'],
];

/** Draws the participants of `relay` in `panel`. */
export async function drawParticipants(relay, panel, user) {
  const people = await api('GET', `/api/relays/${relay.id}/participants`);
  const isFacilitator = user.role !== 'analyst';
  const redraw = () => drawParticipants(relay, panel, user);
  const rows = people.map((p) => {
    const cells = facts(p);
    if (isFacilitator) {
      cells.push(h('td', {}, h('div', { class: 'actions' }, actions(relay, p, redraw))));
    }
    return h('tr', { dataset: { participantId: p.id } }, cells);
  });
  const headers = isFacilitator ? [...HEADERS, ['Handlinger']] : HEADERS;
  replace(panel,
    isFacilitator && relay.state !== 'closed' ? importCard(relay, redraw) : null,
    h('section', { class: 'card', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', text: `Deltagere (${people.length})` }),
      people.length
        ? table(headers, rows)
        : h('p', { class: 'empty', text: 'Ingen deltagere endnu. Importér dem ovenfor.' })));
}

function status(p) {
  if (p.erased_at) return 'Persondata slettet';
  return p.status === 'suspended' ? 'På pause' : 'Aktiv';
}

function facts(p) {
  const email = p.latest_email;
  const about = [p.title, p.organisation].filter(Boolean).join(', ');
  const emailText = email
    ? `${EMAIL_KIND[email.kind] || email.kind}: ${EMAIL_STATUS[email.status] || email.status}`
    : '';
  return [
    h('th', { scope: 'row' }, p.name, p.title ? h('div', { class: 'meta', text: about }) : null),
    h('td', { text: p.email }),
    h('td', { text: p.group }),
    h('td', { text: status(p) }),
    h('td', { class: 'num', text: String(p.asked) }),
    h('td', { class: 'num', text: String(p.received) }),
    h('td', { class: 'num', text: String(p.answered) }),
    h('td', {}, email
      ? h('span', { class: `status-${email.status}`, text: emailText })
      : h('span', { class: 'meta', text: '–' }),
    email && email.error ? h('div', { class: 'meta', text: email.error }) : null),
  ];
}

/** Resend the latest email, suspend or lift the suspension, and erase. */
function actions(relay, p, redraw) {
  const base = `/api/relays/${relay.id}/participants/${p.id}`;
  if (p.erased_at) return [];
  const resend = h('button', {
    type: 'button', class: 'small secondary', text: 'Send igen', disabled: !p.latest_email,
    'aria-label': `Send igen: ${p.name}`,
  });
  resend.addEventListener('click', async () => {
    if (await busy(resend, () => api('POST', `${base}/resend-email`))) {
      toast(`Emailen sendes igen til ${p.name}.`);
      redraw();
    }
  });
  const suspended = p.status === 'suspended';
  const label = suspended ? 'Genaktivér' : 'Sæt på pause';
  const toggle = h('button', {
    type: 'button', class: `small ${suspended ? 'secondary' : 'danger'}`, text: label,
    'aria-label': `${label}: ${p.name}`,
  });
  toggle.addEventListener('click', async () => {
    if (!suspended && !window.confirm(`${p.name} mister adgangen, får ikke flere emails, `
      + 'og ventende spørgsmål sendes videre. Fortsæt?')) return;
    if (await busy(toggle, () => api('POST', `${base}/${suspended ? 'unsuspend' : 'suspend'}`))) {
      redraw();
    }
  });
  return [resend, toggle, eraseButton(base, p, redraw)];
}
