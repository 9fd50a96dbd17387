// The relay form: create a relay or edit one that has not opened yet (text, rounds, rules).

import { chosenOrgId } from '../orgs.js';
import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { validZone } from '../zones.js';
import { errorBox, field } from '../forms.js';
import { busy } from '../calls.js';
import { roundsFieldset } from './rounds.js';
import { DEFAULT_SETTINGS, rulesFieldset } from './rules.js';
import { privacyFieldset } from './privacy.js';

const ZONES = [
  'Europe/Copenhagen', 'Europe/Oslo', 'Europe/Stockholm', 'Europe/Berlin', 'Europe/London',
  'Atlantic/Faroe', 'America/Nuuk', 'UTC',
];

/** Shows the form for relay `relayId` in `main`, or for a new relay when it is null. */
export async function showForm(main, relayId) {
  const relay = relayId ? await api('GET', `/api/relays/${relayId}`) : null;
  document.title = relay ? `Redigér ${relay.title} · Stafet` : 'Ny stafet · Stafet';

  const title = h('input', {
    id: 'f-title', value: relay ? relay.title : '', required: true, maxlength: 200,
  });
  const topic = h('input', {
    id: 'f-topic', value: relay ? relay.topic : '', required: true, maxlength: 200,
  });
  const purpose = h('textarea', { id: 'f-purpose', rows: 6, required: true });
  purpose.value = relay ? relay.purpose : '';
  const language = h('select', { id: 'f-language' },
    h('option', { value: 'da', text: 'Dansk' }), h('option', { value: 'en', text: 'English' }));
  language.value = relay ? relay.language : 'da';
  const zone = h('input', {
    id: 'f-timezone', value: relay ? relay.timezone : 'Europe/Copenhagen', list: 'zones',
    required: true,
  });
  const zones = h('datalist', { id: 'zones' }, ZONES.map((z) => h('option', { value: z })));
  const rounds = roundsFieldset(relay, zone);
  const rules = rulesFieldset(relay ? relay.settings : DEFAULT_SETTINGS);
  const privacy = privacyFieldset(relay);
  const keywords = h('textarea', { id: 'f-keywords', rows: 4 });
  keywords.value = relay ? (relay.settings.keywords || []).join('\n') : '';

  const out = errorBox();
  const save = h('button', { type: 'submit', text: relay ? 'Gem ændringer' : 'Opret stafet' });
  const cancel = h('a', {
    class: 'button secondary', href: relay ? `#/relay/${relay.id}` : '#/', text: 'Annullér',
  });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'form-title' },
    h('h1', { id: 'form-title', text: relay ? `Redigér: ${relay.title}` : 'Ny stafet' }),
    h('fieldset', {}, h('legend', { text: 'Tekst' }),
      field('Titel', title),
      field('Emne', topic, 'Fx "Ledelse til gavn for borgerne".'),
      field('Formål', purpose, 'Deltagerne læser det i invitationen og øverst i stafetten.'),
      h('div', { class: 'row' },
        field('Sprog', language),
        field('Tidszone', zone, 'Alle tider vises i denne zone.')),
      zones),
    rounds.node,
    rules.node,
    privacy.node,
    h('fieldset', {}, h('legend', { text: 'Analyse' }),
      field('Forventede nøgleord, ét pr. linje', keywords,
        'Ord, I forventer vil fylde; analysen viser bagefter, hvilke der kom, og hvor ofte.')),
    out,
    h('div', { class: 'actions' }, save, cancel));

  const refuse = (message) => {
    out.textContent = message;
    out.hidden = false;
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!validZone(zone.value.trim())) {
      refuse('Ukendt tidszone. Brug et navn som Europe/Copenhagen.');
      zone.focus();
      return;
    }
    const tz = zone.value.trim();
    let roundList;
    try {
      roundList = rounds.read(tz);
    } catch {
      refuse('Udfyld begyndelse og slutning for hver runde.');
      return;
    }
    const personal = privacy.read();
    const body = {
      title: title.value, topic: topic.value, purpose: purpose.value, language: language.value,
      timezone: tz, rounds: roundList,
      settings: { ...rules.read(), ...personal.settings, keywords: keywordList(keywords) },
      ...personal.fields,
    };
    if (!relay) body.starts_at = roundList[0].starts_at;
    if (!relay && chosenOrgId()) body.org_id = chosenOrgId();
    const saved = await busy(save, () => relay
      ? api('PATCH', `/api/relays/${relay.id}`, body)
      : api('POST', '/api/relays', body), out);
    if (saved) {
      toast(relay ? 'Ændringerne er gemt.' : 'Stafetten er oprettet.');
      location.hash = `#/relay/${saved.id}`;
    }
  });
  replace(main, form);
  title.focus();
}

/** The expected keywords typed one per line, without blank lines. */
function keywordList(textarea) {
  return textarea.value.split('\n').map((k) => k.trim()).filter(Boolean);
}
