// The facilitator's console (/console): log in, list relays, create and edit a relay (text,
// rounds, rules), import participants, schedule/open/close, and run the relay from a live
// dashboard with the participants table and the stranded questions.

import { api, ApiError, live, debounce } from './api.js';
import { h, replace, shortTime, toast } from './dom.js';
import { zonedToDate, dateToZoned, validZone } from './zones.js';
import { signIn } from './session.js';

const main = document.getElementById('main');
const whoami = document.getElementById('whoami');
let user = null;
let stopLive = null;
// The latest import's report, shown above the refreshed table until another relay is opened.
let lastImport = null;

const STATE = { draft: 'Kladde', scheduled: 'Planlagt', open: 'Åben', closed: 'Afsluttet' };
const EMAIL_KIND = {
  invitation: 'Invitation', opening: 'Åbning', question_received: 'Nyt spørgsmål',
  answer_received: 'Nyt svar', reminder: 'Påmindelse', question_withdrawn: 'Spørgsmål trukket tilbage',
  round_started: 'Ny runde', closing: 'Afslutning',
};
const EMAIL_STATUS = { queued: 'I kø', sending: 'Sendes', sent: 'Sendt', failed: 'Fejlet' };
const EVENT = {
  relay_scheduled: 'Stafetten blev planlagt', relay_opened: 'Stafetten åbnede', relay_closed: 'Stafetten blev lukket',
  round_started: 'En ny runde begyndte', question_asked: 'Et spørgsmål blev stillet', question_answered: 'Et spørgsmål blev besvaret',
  question_rerouted: 'Et spørgsmål blev sendt videre', question_reminded: 'En påmindelse blev sendt',
  participant_suspended: 'En deltager blev sat på pause', participant_unsuspended: 'En deltager blev genaktiveret',
  participant_added: 'Deltagere blev tilføjet', participants_imported: 'Deltagere blev importeret',
  email_failed: 'En email kunne ikke sendes', baton_granted: 'Stafetter blev delt ud',
};

function stateBadge(state) {
  return h('span', { class: 'state', dataset: { state }, text: STATE[state] || state });
}

function errorText(e) {
  if (e instanceof ApiError && e.code === 'network') return 'Ingen forbindelse til serveren.';
  return e.message || 'Noget gik galt.';
}

/** Runs `action` behind `button`, showing the error in `out` (or a toast). */
async function busy(button, action, out) {
  if (button) button.disabled = true;
  if (out) out.hidden = true;
  try {
    return await action();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showLogin();
      return undefined;
    }
    if (out) {
      out.textContent = errorText(e);
      out.hidden = false;
    } else {
      toast(errorText(e), 'error');
    }
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

function errorBox() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

function field(label, input, hint) {
  const id = input.id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
    input);
}

function check(label, input, hint) {
  if (hint) input.setAttribute('aria-describedby', `${input.id}-hint`);
  return h('div', { class: 'check' }, input,
    h('div', {}, h('label', { for: input.id, text: label }),
      hint ? h('p', { id: `${input.id}-hint`, class: 'hint', text: hint }) : null));
}

// ---------------------------------------------------------------- login

function showLogin(message) {
  if (stopLive) stopLive();
  stopLive = null;
  user = null;
  signIn({ main, whoami, ready: onSignedIn, message });
}

function onSignedIn(u) {
  user = u;
  if (u.role === 'analyst') {
    replace(main, h('section', { class: 'card' },
      h('h1', { text: 'Konsollen er for facilitatorer' }),
      h('p', {}, 'Som analytiker arbejder du i ', h('a', { href: '/analysis', text: 'analysen' }), '.')));
    return;
  }
  route();
}

// ---------------------------------------------------------------- relay list

async function showList() {
  const relays = await api('GET', '/api/relays');
  document.title = 'Stafet · Konsol';
  const create = h('a', { class: 'button', href: '#/new', text: 'Ny stafet' });
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'list-title' },
      h('h1', { id: 'list-title', text: 'Stafetter' }),
      user.role === 'analyst' ? null : h('p', {}, create),
      relays.length === 0
        ? h('p', { class: 'empty', text: 'Der er ingen stafetter endnu.' })
        : h('ul', { class: 'list relay-list' }, relays.map((r) => h('li', {},
            h('span', {}, h('a', { href: `#/relay/${r.id}`, text: r.title }), ' ', stateBadge(r.state)),
            h('span', { class: 'meta', text: r.starts_at ? `Start ${shortTime(r.starts_at, 'da', r.timezone)}` : '' }))))));
}

// ---------------------------------------------------------------- relay form

const RULES = [
  ['max_inbox', 'Højst ubesvarede spørgsmål pr. deltager', 'Så ingen drukner i spørgsmål. Standard 2.', 1, 20],
  ['batons_per_round', 'Stafetter ved hver rundes start', 'Hver aktiv deltager har mindst så mange ved rundestart. Standard 1.', 0, 10],
  ['max_batons', 'Højst stafetter pr. deltager', 'Et svar giver en ny stafet, op til dette tal. Standard 3.', 1, 20],
  ['reminder_after_hours', 'Påmindelse efter (timer)', 'Ét påmindelsesbrev til modtageren af et ubesvaret spørgsmål. Standard 12.', 1, 240],
  ['reroute_after_hours', 'Send videre efter (timer)', 'Et ubesvaret spørgsmål går videre til en anden kollega. 0 = aldrig. Standard 36.', 0, 720],
];
const FLAGS = [
  ['cross_group', 'Foretræk en modtager fra en anden gruppe', 'Ved automatisk parring.'],
  ['asker_anonymous', 'Spørgeren er anonym', 'Modtageren får aldrig at vide, hvem der spurgte.'],
  ['show_asker_group', 'Vis spørgerens gruppe', 'Modtageren ser, hvilken gruppe spørgsmålet kommer fra.'],
  ['share_output', 'Del resultatet med deltagerne', 'Afslutningsmailen peger på det fælles resultat.'],
];
const ZONES = ['Europe/Copenhagen', 'Europe/Oslo', 'Europe/Stockholm', 'Europe/Berlin', 'Europe/London', 'Atlantic/Faroe', 'America/Nuuk', 'UTC'];

function roundRow(i, round, tz) {
  const name = h('input', { id: `round-name-${i}`, value: round.name || `Dag ${i + 1}`, required: true });
  const prompt = h('textarea', { id: `round-prompt-${i}`, rows: 2 });
  prompt.value = round.prompt || '';
  const start = h('input', { id: `round-start-${i}`, type: 'datetime-local', value: round.starts_at ? dateToZoned(new Date(round.starts_at), tz) : '', required: true });
  const end = h('input', { id: `round-end-${i}`, type: 'datetime-local', value: round.ends_at ? dateToZoned(new Date(round.ends_at), tz) : '', required: true });
  return h('div', { class: 'round-row', dataset: { index: i } },
    h('div', { class: 'row' },
      field(`Runde ${i + 1}: navn`, name),
      field('Begynder', start),
      field('Slutter', end)),
    field('Oplæg til runden (valgfrit)', prompt, 'Fx et delemne for dagen; deltagerne ser det øverst.'));
}

/** Consecutive rounds of `hours` from `start` (a Date). */
function defaultRounds(start, count, hours) {
  return Array.from({ length: count }, (_, i) => ({
    name: `Dag ${i + 1}`,
    starts_at: new Date(start.getTime() + i * hours * 3600000).toISOString(),
    ends_at: new Date(start.getTime() + (i + 1) * hours * 3600000).toISOString(),
  }));
}

function nextMorning() {
  const d = new Date();
  d.setDate(d.getDate() + 7);
  return dateToZoned(d, 'Europe/Copenhagen').slice(0, 10) + 'T08:00';
}

async function showForm(id) {
  const relay = id ? await api('GET', `/api/relays/${id}`) : null;
  const s = relay ? relay.settings : {
    recipient_choice: 'auto', cross_group: true, max_inbox: 2, batons_per_round: 1, max_batons: 3,
    asker_anonymous: true, show_asker_group: true, reminder_after_hours: 12, reroute_after_hours: 36, share_output: false,
  };
  let tz = relay ? relay.timezone : 'Europe/Copenhagen';
  document.title = relay ? `Redigér ${relay.title} · Stafet` : 'Ny stafet · Stafet';

  const title = h('input', { id: 'f-title', value: relay ? relay.title : '', required: true, maxlength: 200 });
  const topic = h('input', { id: 'f-topic', value: relay ? relay.topic : '', required: true, maxlength: 200 });
  const purpose = h('textarea', { id: 'f-purpose', rows: 6, required: true });
  purpose.value = relay ? relay.purpose : '';
  const language = h('select', { id: 'f-language' },
    h('option', { value: 'da', text: 'Dansk' }), h('option', { value: 'en', text: 'English' }));
  language.value = relay ? relay.language : 'da';
  const zone = h('input', { id: 'f-timezone', value: tz, list: 'zones', required: true });
  const zones = h('datalist', { id: 'zones' }, ZONES.map((z) => h('option', { value: z })));

  // Rounds: start, count and length lay them out; each can then be renamed, given a prompt and
  // moved by hand.
  const firstStart = relay && relay.starts_at ? dateToZoned(new Date(relay.starts_at), tz) : nextMorning();
  const start = h('input', { id: 'rounds-start', type: 'datetime-local', value: firstStart, required: true });
  const count = h('input', { id: 'rounds-count', type: 'number', min: 1, max: 30, value: relay ? relay.rounds.length : 4 });
  const hours = h('input', { id: 'rounds-hours', type: 'number', min: 1, max: 720, value: relay && relay.rounds.length ? Math.round((new Date(relay.rounds[0].ends_at) - new Date(relay.rounds[0].starts_at)) / 3600000) : 24 });
  const layout = h('button', { type: 'button', class: 'secondary', text: 'Læg runderne ud' });
  const roundsBox = h('div', { id: 'rounds' });
  let rounds = relay ? relay.rounds : defaultRounds(zonedToDate(firstStart, tz), 4, 24);
  const drawRounds = () => replace(roundsBox, rounds.map((r, i) => roundRow(i, r, tz)));
  const readRounds = () => rounds.map((r, i) => ({
    name: document.getElementById(`round-name-${i}`).value.trim(),
    starts_at: zonedToDate(document.getElementById(`round-start-${i}`).value, tz).toISOString(),
    ends_at: zonedToDate(document.getElementById(`round-end-${i}`).value, tz).toISOString(),
    prompt: document.getElementById(`round-prompt-${i}`).value.trim() || null,
  }));
  layout.addEventListener('click', () => {
    if (!validZone(zone.value)) return;
    const kept = readRounds();
    tz = zone.value;
    rounds = defaultRounds(zonedToDate(start.value, tz), Number(count.value) || 1, Number(hours.value) || 24)
      .map((r, i) => ({ ...r, name: kept[i] ? kept[i].name : r.name, prompt: kept[i] ? kept[i].prompt : null }));
    drawRounds();
  });
  drawRounds();

  const choice = h('select', { id: 'rule-recipient_choice' },
    h('option', { value: 'auto', text: 'Stafetten finder modtageren (automatisk)' }),
    h('option', { value: 'participant', text: 'Deltageren vælger selv modtageren' }));
  choice.value = s.recipient_choice;
  const numbers = RULES.map(([key, label, hint, min, max]) => field(label,
    h('input', { id: `rule-${key}`, type: 'number', min, max, value: s[key], required: true }), hint));
  const flags = FLAGS.map(([key, label, hint]) => check(label,
    h('input', { id: `rule-${key}`, type: 'checkbox', checked: Boolean(s[key]) }), hint));

  const out = errorBox();
  const save = h('button', { type: 'submit', text: relay ? 'Gem ændringer' : 'Opret stafet' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'form-title' },
    h('h1', { id: 'form-title', text: relay ? `Redigér: ${relay.title}` : 'Ny stafet' }),
    h('fieldset', {}, h('legend', { text: 'Tekst' }),
      field('Titel', title),
      field('Emne', topic, 'Fx "Ledelse til gavn for borgerne".'),
      field('Formål', purpose, 'Deltagerne læser det i invitationen og øverst i stafetten.'),
      h('div', { class: 'row' }, field('Sprog', language), field('Tidszone', zone, 'Alle tider vises i denne zone.')), zones),
    h('fieldset', {}, h('legend', { text: 'Runder' }),
      h('div', { class: 'row' }, field('Første runde begynder', start), field('Antal runder', count), field('Timer pr. runde', hours)),
      h('p', {}, layout),
      roundsBox),
    h('fieldset', {}, h('legend', { text: 'Regler' }),
      field('Hvem vælger modtageren?', choice, 'Automatisk: færrest ubesvarede først, så færrest modtagne, helst fra en anden gruppe.'),
      h('div', { class: 'row' }, numbers),
      flags),
    out,
    h('div', { class: 'actions' }, save, h('a', { class: 'button secondary', href: relay ? `#/relay/${relay.id}` : '#/', text: 'Annullér' })));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!validZone(zone.value.trim())) {
      out.textContent = 'Ukendt tidszone. Brug et navn som Europe/Copenhagen.';
      out.hidden = false;
      zone.focus();
      return;
    }
    tz = zone.value.trim();
    let roundList;
    try {
      roundList = readRounds();
    } catch {
      out.textContent = 'Udfyld begyndelse og slutning for hver runde.';
      out.hidden = false;
      return;
    }
    const settings = { recipient_choice: choice.value };
    for (const [key] of RULES) settings[key] = Number(document.getElementById(`rule-${key}`).value);
    for (const [key] of FLAGS) settings[key] = document.getElementById(`rule-${key}`).checked;
    const body = {
      title: title.value, topic: topic.value, purpose: purpose.value, language: language.value,
      timezone: tz, rounds: roundList, settings,
    };
    if (!relay) body.starts_at = roundList[0].starts_at;
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

// ---------------------------------------------------------------- one relay

async function showRelay(id, tab) {
  const relay = await api('GET', `/api/relays/${id}`);
  document.title = `${relay.title} · Stafet`;
  const isFacilitator = user.role !== 'analyst';
  const actions = h('div', { class: 'actions' });
  const act = (label, path, question, cls) => {
    const b = h('button', { type: 'button', class: cls || '', text: label });
    b.addEventListener('click', async () => {
      if (!window.confirm(question)) return;
      const res = await busy(b, () => api('POST', `/api/relays/${id}/${path}`));
      if (res) {
        toast(`Stafetten er nu: ${STATE[res.state] || res.state}.`);
        route();
      }
    });
    return b;
  };
  if (isFacilitator) {
    if (relay.state === 'draft' || relay.state === 'scheduled') {
      actions.append(h('a', { class: 'button secondary', href: `#/relay/${id}/edit`, text: 'Redigér' }));
    }
    if (relay.state === 'draft') {
      actions.append(act('Planlæg og send invitationer', 'schedule', 'Invitationerne sendes nu, og stafetten åbner af sig selv ved første runde. Fortsæt?', 'secondary'));
    }
    if (relay.state === 'draft' || relay.state === 'scheduled') {
      actions.append(act('Åbn nu', 'open', 'Stafetten åbner nu; alle runder rykkes, så første runde begynder nu. Deltagerne får en email med deres link. Fortsæt?'));
    }
    if (relay.state === 'open') {
      actions.append(act('Luk stafetten', 'close', 'Stafetten lukkes nu. Ubesvarede spørgsmål udløber, og alle får en afslutningsmail. Det kan ikke fortrydes. Fortsæt?', 'danger'));
    }
  }
  const tabs = [['dashboard', 'Overblik'], ['participants', 'Deltagere'], ['questions', 'Strandede spørgsmål']];
  const current = tabs.some(([k]) => k === tab) ? tab : 'dashboard';
  const panel = h('div', { id: 'panel', role: 'tabpanel', 'aria-labelledby': `tab-${current}`, tabindex: '-1' });
  const tabBar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Visninger' }, tabs.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === current), 'aria-controls': 'panel',
    text: label, onclick: () => { location.hash = `#/relay/${id}/${key}`; },
  })));
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'relay-title' },
      h('h1', { id: 'relay-title' }, relay.title, ' ', stateBadge(relay.state)),
      h('p', { class: 'meta', text: `${relay.topic} · ${relay.rounds.length} runder · ${shortTime(relay.starts_at, 'da', relay.timezone)} – ${shortTime(relay.ends_at, 'da', relay.timezone)} (${relay.timezone})` }),
      actions,
      tabBar),
    panel);

  const draw = { dashboard: drawDashboard, participants: drawParticipants, questions: drawQuestions }[current];
  const redraw = debounce(() => draw(relay, panel).catch((e) => toast(errorText(e), 'error')), 200);
  await draw(relay, panel);
  if (isFacilitator) {
    stopLive = live({
      query: `relay=${id}`,
      onEvent: (ev) => {
        if (current === 'dashboard') addActivity(ev, relay);
        // A live update must not wipe what the facilitator is doing: a half-pasted import or a
        // reroute being chosen stays until they are done.
        const csv = document.getElementById('import-csv');
        const busyHere = panel.contains(document.activeElement) || (csv && csv.value.trim());
        if (current === 'dashboard' || !busyHere) redraw();
      },
      onStatus: () => {},
    });
  }
}

// Dashboard ----------------------------------------------------------------

const activity = [];

// Email status changes drive the counters, but would drown the activity list.
const QUIET = new Set(['email_status']);

function addActivity(ev, relay) {
  if (QUIET.has(ev.type)) return;
  activity.unshift(ev);
  activity.length = Math.min(activity.length, 30);
  const list = document.getElementById('activity');
  if (list) replace(list, activityItems(relay));
}

function activityItems(relay) {
  if (activity.length === 0) return [h('li', { class: 'empty', text: 'Ingen aktivitet endnu.' })];
  // Only what happened and when: never who asked whom or what was written.
  return activity.map((ev) => h('li', {}, h('span', { class: 'meta', text: `${shortTime(ev.created_at, 'da', relay.timezone)} · ` }), EVENT[ev.type] || ev.type.replaceAll('_', ' ')));
}

function stat(label, n, key) {
  return h('div', { class: 'stat', dataset: { stat: key } }, h('span', { class: 'n', text: String(n) }), label);
}

function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'meta', text: caption }) : null,
    h('thead', {}, h('tr', {}, headers.map(([label, num]) => h('th', { scope: 'col', class: num ? 'num' : '', text: label })))),
    h('tbody', {}, rows)));
}

async function drawDashboard(relay, panel) {
  const [stats, events] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/stats`),
    user.role === 'analyst' ? Promise.resolve([]) : api('GET', `/api/relays/${relay.id}/events?latest=500`),
  ]);
  activity.length = 0;
  activity.push(...events.filter((ev) => !QUIET.has(ev.type)).slice(-30).reverse());
  const emails = stats.emails || {};
  replace(panel,
    h('section', { class: 'card', 'aria-labelledby': 'dash-title' },
      h('h2', { id: 'dash-title', text: 'Overblik' }),
      h('div', { class: 'stats' },
        stat('deltagere', stats.participants.total, 'participants'),
        stat('har deltaget', stats.participants.participated, 'participated'),
        stat('spørgsmål stillet', stats.questions.asked, 'asked'),
        stat('besvaret', stats.questions.answered, 'answered'),
        stat('venter på svar', stats.questions.pending, 'pending'),
        stat('stafetter i spil', stats.batons_in_play, 'batons'),
        stat('emails sendt', emails.sent || 0, 'emails-sent'),
        stat('emails fejlet', emails.failed || 0, 'emails-failed')),
      h('h3', { text: 'Pr. gruppe' }),
      table([['Gruppe'], ['Deltagere', 1], ['Har deltaget', 1], ['Spurgt', 1], ['Besvaret', 1]],
        stats.per_group.map((g) => h('tr', {}, h('th', { scope: 'row', text: g.group }),
          [g.participants, g.participated, g.asked, g.answered].map((n) => h('td', { class: 'num', text: String(n) }))))),
      h('h3', { text: 'Pr. runde' }),
      table([['Runde'], ['Spurgt', 1], ['Besvaret', 1], ['Venter', 1]],
        stats.per_round.map((r) => h('tr', {}, h('th', { scope: 'row', text: r.name }),
          [r.asked, r.answered, r.pending].map((n) => h('td', { class: 'num', text: String(n) }))))),
      h('h3', { text: 'Seneste aktivitet' }),
      h('ul', { class: 'list activity', id: 'activity', 'aria-live': 'polite' }, activityItems(relay))));
}

// Participants ---------------------------------------------------------------

async function drawParticipants(relay, panel) {
  const people = await api('GET', `/api/relays/${relay.id}/participants`);
  const isFacilitator = user.role !== 'analyst';
  const rows = people.map((p) => {
    const email = p.latest_email;
    const cells = [
      h('th', { scope: 'row' }, p.name, p.title ? h('div', { class: 'meta', text: [p.title, p.organisation].filter(Boolean).join(', ') }) : null),
      h('td', { text: p.email }),
      h('td', { text: p.group }),
      h('td', { text: p.status === 'suspended' ? 'På pause' : 'Aktiv' }),
      h('td', { class: 'num', text: String(p.asked) }),
      h('td', { class: 'num', text: String(p.received) }),
      h('td', { class: 'num', text: String(p.answered) }),
      h('td', {}, email
        ? h('span', { class: `status-${email.status}`, text: `${EMAIL_KIND[email.kind] || email.kind}: ${EMAIL_STATUS[email.status] || email.status}` })
        : h('span', { class: 'meta', text: '–' }),
        email && email.error ? h('div', { class: 'meta', text: email.error }) : null),
    ];
    if (isFacilitator) {
      const resend = h('button', { type: 'button', class: 'small secondary', text: 'Send igen', disabled: !email, 'aria-label': `Send igen: ${p.name}` });
      resend.addEventListener('click', async () => {
        if (await busy(resend, () => api('POST', `/api/relays/${relay.id}/participants/${p.id}/resend-email`))) {
          toast(`Emailen sendes igen til ${p.name}.`);
          drawParticipants(relay, panel);
        }
      });
      const suspended = p.status === 'suspended';
      const toggle = h('button', { type: 'button', class: `small ${suspended ? 'secondary' : 'danger'}`, text: suspended ? 'Genaktivér' : 'Sæt på pause', 'aria-label': `${suspended ? 'Genaktivér' : 'Sæt på pause'}: ${p.name}` });
      toggle.addEventListener('click', async () => {
        if (!suspended && !window.confirm(`${p.name} mister adgangen, får ikke flere emails, og ventende spørgsmål sendes videre. Fortsæt?`)) return;
        if (await busy(toggle, () => api('POST', `/api/relays/${relay.id}/participants/${p.id}/${suspended ? 'unsuspend' : 'suspend'}`))) {
          drawParticipants(relay, panel);
        }
      });
      cells.push(h('td', {}, h('div', { class: 'actions' }, resend, toggle)));
    }
    return h('tr', { dataset: { participantId: p.id } }, cells);
  });
  const headers = [['Navn'], ['Email'], ['Gruppe'], ['Status'], ['Spurgt', 1], ['Modtaget', 1], ['Besvaret', 1], ['Seneste email']];
  if (isFacilitator) headers.push(['Handlinger']);
  replace(panel,
    isFacilitator && relay.state !== 'closed' ? importCard(relay, panel) : null,
    h('section', { class: 'card', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', text: `Deltagere (${people.length})` }),
      people.length ? table(headers, rows) : h('p', { class: 'empty', text: 'Ingen deltagere endnu. Importér dem ovenfor.' })));
}

function importCard(relay, panel) {
  const csv = h('textarea', { id: 'import-csv', rows: 6, spellcheck: 'false' });
  csv.placeholder = 'name,email,group,title,organisation\nAnne Jensen,anne@kommune.dk,Kommune,Direktør,Aarhus Kommune';
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv' });
  file.addEventListener('change', async () => {
    if (file.files[0]) csv.value = await file.files[0].text();
  });
  const out = errorBox();
  const report = h('div', { id: 'import-report', 'aria-live': 'polite', tabindex: '-1' });
  if (lastImport && lastImport.relayId === relay.id) {
    const res = lastImport.report;
    report.append(h('p', { text: `${res.created} oprettet, ${res.updated} opdateret, ${res.rejected.length} afvist.` }),
      res.rejected.length
        ? h('ul', { class: 'rejected' }, res.rejected.map((r) => h('li', { text: `Linje ${r.line}: ${r.reason}` })))
        : null);
    if (res.rejected.length) csv.value = lastImport.text;
  }
  const go = h('button', { type: 'submit', text: 'Importér' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title', text: 'Importér deltagere' }),
    h('p', { class: 'hint', text: 'CSV med overskriften name,email,group,title,organisation. Kendte emails opdateres; fejlbehæftede linjer vises nedenfor, de gode gemmes.' }),
    field('Indsæt CSV', csv),
    field('… eller vælg en fil', file),
    out,
    h('div', { class: 'actions' }, go),
    report);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!csv.value.trim()) {
      out.textContent = 'Indsæt CSV eller vælg en fil.';
      out.hidden = false;
      return;
    }
    const text = csv.value;
    const res = await busy(go, () => api('POST', `/api/relays/${relay.id}/participants`, text, { contentType: 'text/csv' }), out);
    if (!res) return;
    lastImport = { relayId: relay.id, report: res, text };
    await drawParticipants(relay, panel);
    const again = document.getElementById('import-report');
    if (again) again.focus();
  });
  return form;
}

// Stranded questions ---------------------------------------------------------

async function drawQuestions(relay, panel) {
  const [pending, people] = await Promise.all([
    api('GET', `/api/relays/${relay.id}/questions/pending`),
    api('GET', `/api/relays/${relay.id}/participants`),
  ]);
  const active = people.filter((p) => p.status === 'active');
  const rows = pending.map((q) => {
    const to = h('select', { id: `reroute-to-${q.id}`, 'aria-label': 'Ny modtager' },
      h('option', { value: '', text: 'Automatisk' }),
      active.filter((p) => !q.recipient || p.id !== q.recipient.id).map((p) => h('option', { value: p.id, text: `${p.name} (${p.group})` })));
    const go = h('button', { type: 'button', class: 'small', text: 'Send videre' });
    go.addEventListener('click', async () => {
      const body = to.value ? { to: Number(to.value) } : {};
      const res = await busy(go, () => api('POST', `/api/questions/${q.id}/reroute`, body));
      if (res) {
        toast(`Spørgsmålet er sendt videre til ${res.recipient.name}.`);
        drawQuestions(relay, panel);
      }
    });
    const stranded = q.recipient && q.recipient.status === 'suspended';
    return h('tr', { dataset: { questionId: q.id } },
      h('th', { scope: 'row', text: `#${q.id}` }),
      h('td', {}, q.recipient ? `${q.recipient.name} (${q.recipient.group})` : '–', stranded ? h('div', { class: 'status-failed', text: 'Modtageren er på pause' }) : null),
      h('td', { text: q.asker ? `${q.asker.name} (${q.asker.group})` : (q.asker_group || 'Anonym') }),
      h('td', { class: 'num', text: q.waiting_hours.toFixed(1) }),
      h('td', { text: q.reminded_at ? 'Ja' : 'Nej' }),
      h('td', {}, h('div', { class: 'actions' }, to, go)));
  });
  replace(panel, h('section', { class: 'card', 'aria-labelledby': 'stranded-title' },
    h('h2', { id: 'stranded-title', text: `Ventende spørgsmål (${pending.length})` }),
    h('p', { class: 'hint', text: `Spørgsmål uden svar, ældste først. De sendes selv videre efter ${relay.settings.reroute_after_hours || '∞'} timer; her kan du gøre det med det samme.` }),
    pending.length
      ? table([['Spørgsmål'], ['Hos'], ['Fra'], ['Timer', 1], ['Påmindet'], ['Send videre']], rows)
      : h('p', { class: 'empty', text: 'Ingen spørgsmål venter på svar.' })));
}

// ---------------------------------------------------------------- routing

async function route() {
  if (stopLive) stopLive();
  stopLive = null;
  if (!user || user.role === 'analyst') return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  try {
    if (parts[0] === 'new') await showForm(null);
    else if (parts[0] === 'relay' && parts[2] === 'edit') await showForm(Number(parts[1]));
    else if (parts[0] === 'relay') await showRelay(Number(parts[1]), parts[2]);
    else await showList();
    main.focus({ preventScroll: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin();
    else replace(main, h('section', { class: 'card' }, h('h1', { text: 'Noget gik galt' }), h('p', { text: errorText(e) }), h('a', { href: '#/', text: 'Til oversigten' })));
  }
}

signIn({ main, whoami, ready: onSignedIn });
window.addEventListener('hashchange', route);

