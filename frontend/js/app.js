// The participant's relay (/app): purpose, current round, the questions passed to me with an
// answer form, the ask form, and my own questions with their answers. Kept live by the event
// feed; everything shown is re-read from /api/me, which is the truth.

import { api, ApiError, live, debounce } from './api.js';
import { h, replace, para, formatTime, shortTime, toast } from './dom.js';

const QUESTION = { min: 10, max: 2000 };
const ANSWER = { min: 10, max: 5000 };

const STRINGS = {
  da: {
    skip: 'Spring til indhold',
    loading: 'Indlæser …',
    live: 'Live',
    reconnecting: 'Genopretter forbindelsen …',
    purpose: 'Formål',
    round: 'Runde',
    roundOf: (n, total) => `Runde ${n} af ${total}`,
    ends: 'Slutter',
    inbox: 'Spørgsmål til dig',
    inboxEmpty: 'Du har ingen spørgsmål at besvare lige nu. Når en kollega sender dig et, dukker det op her.',
    fromGroup: (g) => `Fra en kollega i gruppen ${g}`,
    fromColleague: 'Fra en kollega',
    from: (n) => `Fra ${n}`,
    received: 'Modtaget',
    yourAnswer: 'Dit svar',
    answerLabel: 'Skriv dit svar',
    answerSend: 'Send svar',
    answered: 'Besvaret',
    withdrawn: 'Trukket tilbage',
    expired: 'Udløbet',
    ask: 'Stil et spørgsmål',
    batons: (n) => n === 1 ? 'Du har 1 stafet – ret til at stille ét spørgsmål.' : `Du har ${n} stafetter – ret til at stille ${n} spørgsmål.`,
    noBatons: 'Du har ingen stafet lige nu. Besvar et spørgsmål, så får du en ny – eller vent til næste runde.',
    askLabel: 'Dit spørgsmål',
    askHint: 'Spørgsmålet sendes anonymt. Skriv det, du gerne vil vide af en kollega.',
    autoRecipient: 'Stafetten finder en kollega til dig.',
    recipientLabel: 'Hvem skal have spørgsmålet?',
    recipientChoose: 'Vælg en kollega',
    noRecipients: 'Lige nu kan ingen tage imod flere spørgsmål. Prøv igen senere.',
    askSend: 'Send spørgsmålet',
    sentTo: (n) => `Dit spørgsmål er sendt til ${n}.`,
    answerSent: 'Tak for dit svar. Du har fået en ny stafet.',
    answerSentNoBaton: 'Tak for dit svar.',
    asked: 'Dine spørgsmål',
    askedEmpty: 'Du har ikke stillet nogen spørgsmål endnu.',
    to: (n) => `Til ${n}`,
    waiting: 'Venter på svar',
    answerFrom: 'Svar',
    chars: (n, max) => `${n} / ${max} tegn`,
    tooShort: (min) => `Skriv mindst ${min} tegn.`,
    notOpenTitle: 'Stafetten er ikke begyndt endnu',
    notOpen: (t) => `Stafetten begynder ${t}. Du får en email, når den åbner.`,
    closedTitle: 'Stafetten er slut – tak for din deltagelse',
    closed: 'Tak for dine spørgsmål og svar. Herunder kan du læse det, du var med til.',
    sharedOutput: 'Arrangøren deler resultatet af stafetten med deltagerne.',
    readOutput: 'Læs resultatet',
    noSessionTitle: 'Åbn stafetten fra din email',
    noSession: 'Vi kunne ikke genkende dig. Brug linket i den seneste email fra stafetten.',
    suspendedTitle: 'Adgang sat på pause',
    expiredTitle: 'Stafetten er slut',
    error: 'Noget gik galt. Prøv igen.',
    network: 'Ingen forbindelse til serveren. Prøv igen om lidt.',
    draftKept: 'Din kladde er gemt på denne enhed.',
  },
  en: {
    skip: 'Skip to content',
    loading: 'Loading …',
    live: 'Live',
    reconnecting: 'Reconnecting …',
    purpose: 'Purpose',
    round: 'Round',
    roundOf: (n, total) => `Round ${n} of ${total}`,
    ends: 'Ends',
    inbox: 'Questions for you',
    inboxEmpty: 'You have no questions to answer right now. When a colleague sends you one, it appears here.',
    fromGroup: (g) => `From a colleague in the group ${g}`,
    fromColleague: 'From a colleague',
    from: (n) => `From ${n}`,
    received: 'Received',
    yourAnswer: 'Your answer',
    answerLabel: 'Write your answer',
    answerSend: 'Send answer',
    answered: 'Answered',
    withdrawn: 'Withdrawn',
    expired: 'Expired',
    ask: 'Ask a question',
    batons: (n) => n === 1 ? 'You hold 1 baton – the right to ask one question.' : `You hold ${n} batons – the right to ask ${n} questions.`,
    noBatons: 'You hold no baton right now. Answer a question to get one – or wait for the next round.',
    askLabel: 'Your question',
    askHint: 'Your question travels anonymously. Ask what you would like to know from a colleague.',
    autoRecipient: 'The relay finds a colleague for you.',
    recipientLabel: 'Who should get the question?',
    recipientChoose: 'Choose a colleague',
    noRecipients: 'Nobody can take more questions right now. Try again later.',
    askSend: 'Send the question',
    sentTo: (n) => `Your question was sent to ${n}.`,
    answerSent: 'Thank you for your answer. You have a new baton.',
    answerSentNoBaton: 'Thank you for your answer.',
    asked: 'Your questions',
    askedEmpty: 'You have not asked any questions yet.',
    to: (n) => `To ${n}`,
    waiting: 'Waiting for an answer',
    answerFrom: 'Answer',
    chars: (n, max) => `${n} / ${max} characters`,
    tooShort: (min) => `Write at least ${min} characters.`,
    notOpenTitle: 'The relay has not started yet',
    notOpen: (t) => `The relay starts ${t}. You will get an email when it opens.`,
    closedTitle: 'The relay has ended – thank you for taking part',
    closed: 'Thank you for your questions and answers. Below you can read what you took part in.',
    sharedOutput: 'The organiser shares the relay’s output with the participants.',
    readOutput: 'Read the output',
    noSessionTitle: 'Open the relay from your email',
    noSession: 'We could not recognise you. Use the link in the latest email from the relay.',
    suspendedTitle: 'Access paused',
    expiredTitle: 'The relay has ended',
    error: 'Something went wrong. Please try again.',
    network: 'No connection to the server. Try again in a moment.',
    draftKept: 'Your draft is kept on this device.',
  },
};

const main = document.getElementById('main');
const status = document.getElementById('live-status');
let me = null;
let t = STRINGS.da;
let stopLive = null;
let pickedRecipient = '';

function setLanguage(lang) {
  t = STRINGS[lang] || STRINGS.en;
  document.documentElement.lang = lang === 'da' ? 'da' : 'en';
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t.skip;
}

// Drafts live in this device's storage, per participant and per form, so a reload or a lost
// connection never costs a leader the answer they were writing.
function draftKey(name) {
  return `stafet:draft:${me.participant.id}:${name}`;
}
function loadDraft(name) {
  try { return localStorage.getItem(draftKey(name)) || ''; } catch { return ''; }
}
function saveDraft(name, value) {
  try {
    if (value) localStorage.setItem(draftKey(name), value);
    else localStorage.removeItem(draftKey(name));
  } catch { /* private mode: drafts are a convenience */ }
}

/** A textarea with its label, character counter and draft storage. */
function textField({ id, label, hint, limits, draft, rows = 5 }) {
  const area = h('textarea', {
    id, name: id, rows, maxlength: limits.max, required: true,
    'aria-describedby': `${id}-count${hint ? ` ${id}-hint` : ''}`,
  });
  area.value = loadDraft(draft);
  const count = h('span', { id: `${id}-count`, class: 'count', 'aria-live': 'off' });
  const update = () => {
    count.textContent = t.chars(area.value.trim().length, limits.max);
    saveDraft(draft, area.value);
  };
  area.addEventListener('input', update);
  update();
  return {
    area,
    node: h('div', { class: 'field' },
      h('label', { for: id, text: label }),
      hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
      area,
      count),
  };
}

function fail(e, form) {
  const message = e instanceof ApiError && e.code === 'network' ? t.network : (e.message || t.error);
  const out = form.querySelector('.form-error');
  if (out) {
    out.textContent = message;
    out.hidden = false;
  }
  toast(message, 'error');
}

function tooShort(area, min, form) {
  if (area.value.trim().length >= min) return false;
  const out = form.querySelector('.form-error');
  out.textContent = t.tooShort(min);
  out.hidden = false;
  area.focus();
  return true;
}

function statusLabel(s) {
  return { answered: t.answered, withdrawn: t.withdrawn, expired: t.expired, pending: t.waiting }[s] || s;
}

function relayHeader(relay) {
  // `current_round` and `position` are 1-based.
  const total = relay.rounds.length;
  const round = relay.rounds.find((r) => r.position === relay.current_round) || null;
  return h('section', { class: 'card relay', 'aria-labelledby': 'relay-title' },
    h('h1', { id: 'relay-title', text: relay.title }),
    relay.topic ? h('p', { class: 'topic', text: relay.topic }) : null,
    h('h2', { class: 'small', text: t.purpose }),
    para(relay.purpose),
    round && relay.state === 'open'
      ? h('div', { class: 'round' },
          h('p', { class: 'round-name' },
            h('strong', { text: round.name || t.round }), ' · ',
            t.roundOf(round.position, total), ' · ',
            `${t.ends} ${shortTime(round.ends_at, relay.language, relay.timezone)}`),
          round.prompt ? para(round.prompt, 'prompt') : null)
      : null);
}

function inboxItem(q, relay) {
  const from = q.asker ? t.from(q.asker.name) : (q.asker_group ? t.fromGroup(q.asker_group) : t.fromColleague);
  const item = h('li', { class: 'question', dataset: { questionId: q.id } },
    h('p', { class: 'meta' }, from, ' · ', `${t.received} ${shortTime(q.received_at, relay.language, relay.timezone)}`),
    para(q.text, 'text question-text'));
  if (q.answer) {
    item.append(h('div', { class: 'answer' },
      h('p', { class: 'meta', text: t.yourAnswer }),
      para(q.answer.text, 'text answer-text')));
    return item;
  }
  if (q.status !== 'pending' || relay.state !== 'open') {
    item.append(h('p', { class: 'badge', text: statusLabel(q.status) }));
    return item;
  }
  const field = textField({ id: `answer-${q.id}`, label: t.answerLabel, limits: ANSWER, draft: `answer-${q.id}` });
  const form = h('form', { class: 'answer-form', novalidate: true },
    field.node,
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', text: t.answerSend }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (tooShort(field.area, ANSWER.min, form)) return;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await api('POST', `/api/me/questions/${q.id}/answer`, { text: field.area.value });
      saveDraft(`answer-${q.id}`, '');
      toast(res && res.batons > me.batons ? t.answerSent : t.answerSentNoBaton);
      await refresh();
    } catch (err) {
      button.disabled = false;
      fail(err, form);
    }
  });
  item.append(form);
  return item;
}

function inboxSection(data) {
  const pending = data.inbox.filter((q) => q.status === 'pending');
  const rest = data.inbox.filter((q) => q.status !== 'pending');
  return h('section', { class: 'card', 'aria-labelledby': 'inbox-title' },
    h('h2', { id: 'inbox-title' }, t.inbox, pending.length ? h('span', { class: 'count-badge', text: String(pending.length) }) : null),
    data.inbox.length === 0
      ? h('p', { class: 'empty', text: t.inboxEmpty })
      : h('ul', { class: 'list', id: 'inbox' }, [...pending, ...rest].map((q) => inboxItem(q, data.relay))));
}

function askSection(data) {
  const { relay } = data;
  const section = h('section', { class: 'card', 'aria-labelledby': 'ask-title' },
    h('h2', { id: 'ask-title', text: t.ask }),
    h('p', { class: 'batons', id: 'batons', text: data.batons > 0 ? t.batons(data.batons) : t.noBatons }));
  if (relay.state !== 'open' || data.batons <= 0) return section;
  const participantMode = relay.recipient_choice === 'participant';
  if (participantMode && data.recipients.length === 0) {
    section.append(h('p', { class: 'empty', text: t.noRecipients }));
    return section;
  }
  const field = textField({ id: 'ask-text', label: t.askLabel, hint: t.askHint, limits: QUESTION, draft: 'ask' });
  let picker = null;
  if (participantMode) {
    picker = h('select', { id: 'ask-recipient', name: 'recipient', required: true },
      h('option', { value: '', text: t.recipientChoose }),
      data.recipients.map((r) => h('option', {
        value: r.id,
        text: [r.name, r.title, r.organisation, r.group].filter(Boolean).join(' · '),
      })));
    // A live update re-renders the form; the colleague already picked stays picked.
    if (data.recipients.some((r) => String(r.id) === pickedRecipient)) picker.value = pickedRecipient;
    picker.addEventListener('change', () => { pickedRecipient = picker.value; });
  }
  const form = h('form', { class: 'ask-form', novalidate: true },
    field.node,
    picker
      ? h('div', { class: 'field' }, h('label', { for: 'ask-recipient', text: t.recipientLabel }), picker)
      : h('p', { class: 'hint', text: t.autoRecipient }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', text: t.askSend }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (tooShort(field.area, QUESTION.min, form)) return;
    const body = { text: field.area.value };
    if (picker) {
      if (!picker.value) {
        picker.focus();
        return;
      }
      body.recipient_id = Number(picker.value);
    }
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await api('POST', '/api/me/questions', body);
      saveDraft('ask', '');
      pickedRecipient = '';
      toast(t.sentTo(res.recipient ? res.recipient.name : ''));
      await refresh();
    } catch (err) {
      button.disabled = false;
      fail(err, form);
    }
  });
  section.append(form);
  return section;
}

function askedSection(data) {
  const { relay } = data;
  return h('section', { class: 'card', 'aria-labelledby': 'asked-title' },
    h('h2', { id: 'asked-title', text: t.asked }),
    data.asked.length === 0
      ? h('p', { class: 'empty', text: t.askedEmpty })
      : h('ul', { class: 'list', id: 'asked' }, data.asked.map((q) => h('li', { class: 'question', dataset: { questionId: q.id } },
          h('p', { class: 'meta' },
            q.recipient ? t.to(q.recipient.name) : '', ' · ', shortTime(q.asked_at, relay.language, relay.timezone)),
          para(q.text, 'text question-text'),
          q.answer
            ? h('div', { class: 'answer' }, h('p', { class: 'meta', text: t.answerFrom }), para(q.answer.text, 'text answer-text'))
            : h('p', { class: 'badge', text: statusLabel(q.status) })))));
}

function notice(title, text, extra = []) {
  return h('section', { class: 'card notice', 'aria-labelledby': 'notice-title' },
    h('h1', { id: 'notice-title', text: title }),
    para(text),
    extra);
}

function render(data) {
  const { relay } = data;
  setLanguage(relay.language);
  document.title = `${relay.title} · Stafet`;
  const parts = [];
  if (relay.state === 'draft' || relay.state === 'scheduled') {
    parts.push(notice(t.notOpenTitle, t.notOpen(formatTime(relay.starts_at, relay.language, relay.timezone))));
    parts.push(relayHeader(relay));
  } else if (relay.state === 'closed') {
    parts.push(notice(t.closedTitle, t.closed, relay.share_output
      ? [para(t.sharedOutput), h('p', {}, h('a', { class: 'button', href: '/api/me/report', text: t.readOutput }))]
      : []));
    parts.push(relayHeader(relay), inboxSection(data), askedSection(data));
  } else {
    parts.push(relayHeader(relay), inboxSection(data), askSection(data), askedSection(data));
  }
  // Re-rendering must not lose what a person is typing or where their cursor is.
  const focused = document.activeElement && document.activeElement.id;
  const caret = focused && document.activeElement.selectionStart;
  replace(main, parts);
  if (focused) {
    const again = document.getElementById(focused);
    if (again) {
      again.focus();
      if (typeof caret === 'number' && again.setSelectionRange) again.setSelectionRange(caret, caret);
    }
  }
}

function showError(e) {
  if (stopLive) stopLive();
  stopLive = null;
  status.textContent = '';
  if (e.code === 'suspended') {
    replace(main, notice(t.suspendedTitle, e.message));
  } else if (e.code === 'link_expired') {
    replace(main, notice(t.expiredTitle, e.message));
  } else if (e.status === 401) {
    replace(main, notice(t.noSessionTitle, t.noSession));
  } else {
    replace(main, notice(t.error, e.code === 'network' ? t.network : e.message));
  }
}

async function refresh() {
  try {
    const data = await api('GET', '/api/me');
    me = data;
    render(data);
    return data;
  } catch (e) {
    if (e.code === 'network' && me) {
      toast(t.network, 'error');
      return me;
    }
    showError(e);
    return null;
  }
}

const refreshSoon = debounce(refresh, 150);

async function start() {
  const data = await refresh();
  if (!data) return;
  stopLive = live({
    onEvent: () => refreshSoon(),
    onStatus: (s) => {
      status.textContent = s === 'live' ? t.live : s === 'reconnecting' ? t.reconnecting : '';
      status.dataset.state = s;
      // After a gap, the replayed events trigger a refresh; refresh anyway in case there were none.
      if (s === 'live') refreshSoon();
    },
    onFatal: () => refresh(),
  });
}

start();
