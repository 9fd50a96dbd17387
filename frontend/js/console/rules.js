// The rules part of the relay form: who chooses the recipient, the numbers and the switches.

import { h } from '../dom.js';
import { field } from '../forms.js';

/** The settings a relay starts with. */
export const DEFAULT_SETTINGS = {
  recipient_choice: 'auto', cross_group: true, max_inbox: 2, batons_per_round: 1, max_batons: 3,
  asker_anonymous: true, show_asker_group: true, reminder_after_hours: 12,
  reroute_after_hours: 36, share_output: false,
};

// [setting, label, hint, min, max]
const NUMBERS = [
  ['max_inbox', 'Højst ubesvarede spørgsmål pr. deltager',
    'Så ingen drukner i spørgsmål. Standard 2.', 1, 20],
  ['batons_per_round', 'Stafetter ved hver rundes start',
    'Hver aktiv deltager har mindst så mange ved rundestart. Standard 1.', 0, 10],
  ['max_batons', 'Højst stafetter pr. deltager',
    'Et svar giver en ny stafet, op til dette tal. Standard 3.', 1, 20],
  ['reminder_after_hours', 'Påmindelse efter (timer)',
    'Ét påmindelsesbrev til modtageren af et ubesvaret spørgsmål. Standard 12.', 1, 240],
  ['reroute_after_hours', 'Send videre efter (timer)',
    'Et ubesvaret spørgsmål går videre til en anden kollega. 0 = aldrig. Standard 36.', 0, 720],
];

// [setting, label, hint]
const FLAGS = [
  ['cross_group', 'Foretræk en modtager fra en anden gruppe', 'Ved automatisk parring.'],
  ['asker_anonymous', 'Spørgeren er anonym', 'Modtageren får aldrig at vide, hvem der spurgte.'],
  ['show_asker_group', 'Vis spørgerens gruppe',
    'Modtageren ser, hvilken gruppe spørgsmålet kommer fra.'],
  ['share_output', 'Del resultatet med deltagerne',
    'Afslutningsmailen peger på det fælles resultat.'],
];

function check(label, input, hint) {
  if (hint) input.setAttribute('aria-describedby', `${input.id}-hint`);
  return h('div', { class: 'check' }, input,
    h('div', {}, h('label', { for: input.id, text: label }),
      hint ? h('p', { id: `${input.id}-hint`, class: 'hint', text: hint }) : null));
}

/** The rules fieldset showing `settings`; `read()` returns the settings as typed. */
export function rulesFieldset(settings) {
  const choice = h('select', { id: 'rule-recipient_choice' },
    h('option', { value: 'auto', text: 'Stafetten finder modtageren (automatisk)' }),
    h('option', { value: 'participant', text: 'Deltageren vælger selv modtageren' }));
  choice.value = settings.recipient_choice;
  const numbers = NUMBERS.map(([key, label, hint, min, max]) => field(label, h('input', {
    id: `rule-${key}`, type: 'number', min, max, value: settings[key], required: true,
  }), hint));
  const flags = FLAGS.map(([key, label, hint]) => check(label, h('input', {
    id: `rule-${key}`, type: 'checkbox', checked: Boolean(settings[key]),
  }), hint));
  const node = h('fieldset', {}, h('legend', { text: 'Regler' }),
    field('Hvem vælger modtageren?', choice, 'Automatisk: færrest ubesvarede først, '
      + 'så færrest modtagne, helst fra en anden gruppe.'),
    h('div', { class: 'row' }, numbers),
    flags);
  const read = () => {
    const typed = { recipient_choice: choice.value };
    const input = (key) => document.getElementById(`rule-${key}`);
    for (const [key] of NUMBERS) typed[key] = Number(input(key).value);
    for (const [key] of FLAGS) typed[key] = input(key).checked;
    return typed;
  };
  return { node, read };
}
