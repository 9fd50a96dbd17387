// The relay's personal data in the console: the privacy notice and retention in the relay
// form, when retention will erase (with a button to do it now), and copying a relay into a new
// draft.

import { api } from '../api.js';
import { h, shortTime, toast } from '../dom.js';
import { errorBox, field, select } from '../forms.js';
import { busy } from '../calls.js';

/** The form's fieldset for the notice and retention; `read()` gives the request's fields. */
export function privacyFieldset(relay) {
  const controller = h('input', {
    id: 'f-controller', value: relay ? relay.controller : '', maxlength: 500,
  });
  const contact = h('input', {
    id: 'f-privacy-contact', value: relay ? relay.privacy_contact : '', maxlength: 500,
  });
  const text = h('textarea', { id: 'f-privacy-text', rows: 8 });
  text.value = relay ? relay.privacy_text : '';
  const days = h('input', {
    id: 'f-retention-days', type: 'number', min: 0, max: 3650,
    value: relay ? relay.settings.retention_days : '',
  });
  const what = select('f-retention', [
    ['pseudonymise', 'Behold spørgsmål og svar under pseudonym'],
    ['delete', 'Slet alt om stafetten'],
  ], relay ? relay.settings.retention : 'pseudonymise');
  const fallback = relay ? undefined : 'Tomt: standarden fra konfigurationen.';
  const node = h('fieldset', {}, h('legend', { text: 'Persondata' }),
    field('Dataansvarlig', controller, fallback || 'Myndigheden, med adresse og CVR-nummer.'),
    field('Kontakt om persondata', contact, fallback || 'Fx databeskyttelsesrådgiverens adresse.'),
    field('Tekst om behandlingen af persondata', text,
      fallback || 'Deltagerne ser den, før de skriver noget, og invitationen linker til den.'),
    h('div', { class: 'row' },
      field('Slet persondata efter (dage)', days, 'Regnet fra stafetten lukker.'),
      field('Ved sletning', what)));
  // A new relay takes the configuration's defaults for what is left empty.
  const given = (el) => (relay || el.value.trim() ? el.value : undefined);
  return {
    node,
    read: () => ({
      fields: {
        controller: given(controller),
        privacy_contact: given(contact),
        privacy_text: given(text),
      },
      settings: {
        retention_days: days.value === '' ? undefined : Number(days.value),
        retention: what.value,
      },
    }),
  };
}

/** When retention erases (or erased) the relay's personal data, as a line for its header. */
export function retentionLine(relay) {
  const when = (iso) => shortTime(iso, 'da', relay.timezone);
  if (relay.erased_at) return `Persondata slettet ${when(relay.erased_at)}`;
  if (relay.erase_at) return `Persondata slettes ${when(relay.erase_at)}`;
  return `Persondata slettes ${relay.settings.retention_days} dage efter lukning`;
}

/** The button that brings retention forward for a closed relay, after a confirmation. */
export function eraseNowButton(relay, reload) {
  const b = h('button', { type: 'button', class: 'danger', text: 'Slet persondata nu' });
  b.addEventListener('click', async () => {
    const what = relay.settings.retention === 'delete'
      ? 'Hele stafetten slettes nu, også spørgsmål og svar.'
      : 'Navne, emailadresser, titler, organisationer, links og emails slettes nu; '
        + 'spørgsmål og svar bliver under pseudonym.';
    if (!window.confirm(`${what} Det kan ikke fortrydes. Fortsæt?`)) return;
    const res = await busy(b, () => api('POST', `/api/relays/${relay.id}/erase-now`));
    if (!res) return;
    toast('Persondata er slettet.');
    if (res.deleted) location.hash = '#/';
    else reload();
  });
  return b;
}

/** "Kopiér": a small form that copies the relay into a new draft and opens the copy. */
export function copyAction(relay) {
  const toggle = h('button', {
    type: 'button', class: 'secondary', text: 'Kopiér', 'aria-expanded': 'false',
    'aria-controls': 'copy-form',
  });
  const title = h('input', {
    id: 'copy-title', value: `${relay.title} (kopi)`, required: true, maxlength: 200,
  });
  const people = h('input', { id: 'copy-people', type: 'checkbox' });
  const out = errorBox();
  const make = h('button', { type: 'submit', text: 'Opret kopi' });
  const form = h('form', { id: 'copy-form', class: 'inline-form', hidden: true },
    field('Titel på kopien', title),
    h('div', { class: 'field check' }, people,
      h('label', { for: 'copy-people', text: 'Tag deltagerlisten med' })),
    out, make);
  toggle.addEventListener('click', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) title.focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const copy = await busy(make, () => api('POST', `/api/relays/${relay.id}/copy`,
      { title: title.value, with_participants: people.checked }), out);
    if (copy) {
      toast('Kopien er oprettet som kladde.');
      location.hash = `#/relay/${copy.id}`;
    }
  });
  return [toggle, form];
}
