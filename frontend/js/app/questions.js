// The questions passed to the participant, with the answer form, and the questions they asked
// with their answers.

import { api } from '../api.js';
import { h, para, shortTime, toast } from '../dom.js';
import { errorBox } from '../forms.js';
import { t } from './strings.js';
import { page } from './state.js';
import { fail, saveDraft, textField, tooShort } from './fields.js';

const ANSWER = { min: 10, max: 5000 };

function statusLabel(s) {
  const labels = {
    answered: t.answered, withdrawn: t.withdrawn, expired: t.expired, pending: t.waiting,
  };
  return labels[s] || s;
}

function answerForm(q, refresh) {
  const draft = `answer-${q.id}`;
  const field = textField({ id: `answer-${q.id}`, label: t.answerLabel, limits: ANSWER, draft });
  const form = h('form', { class: 'answer-form', novalidate: true },
    field.node,
    errorBox(),
    h('button', { type: 'submit', text: t.answerSend }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (tooShort(field.area, ANSWER.min, form)) return;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await api('POST', `/api/me/questions/${q.id}/answer`, { text: field.area.value });
      saveDraft(draft, '');
      toast(res && res.batons > page.me.batons ? t.answerSent : t.answerSentNoBaton);
      await refresh();
    } catch (err) {
      button.disabled = false;
      fail(err, form);
    }
  });
  return form;
}

function inboxItem(q, relay, refresh) {
  const from = q.asker
    ? t.from(q.asker.name)
    : (q.asker_group ? t.fromGroup(q.asker_group) : t.fromColleague);
  const received = `${t.received} ${shortTime(q.received_at, relay.language, relay.timezone)}`;
  const item = h('li', { class: 'question', dataset: { questionId: q.id } },
    h('p', { class: 'meta' }, from, ' · ', received),
    para(q.text, 'text question-text'));
  if (q.answer) {
    item.append(h('div', { class: 'answer' },
      h('p', { class: 'meta', text: t.yourAnswer }),
      para(q.answer.text, 'text answer-text')));
  } else if (q.status !== 'pending' || relay.state !== 'open') {
    item.append(h('p', { class: 'badge', text: statusLabel(q.status) }));
  } else {
    item.append(answerForm(q, refresh));
  }
  return item;
}

/** The questions passed to me, waiting ones first; `refresh` runs after an answer is sent. */
export function inboxSection(data, refresh) {
  const pending = data.inbox.filter((q) => q.status === 'pending');
  const rest = data.inbox.filter((q) => q.status !== 'pending');
  const badge = pending.length
    ? h('span', { class: 'count-badge', text: String(pending.length) })
    : null;
  return h('section', { class: 'card', 'aria-labelledby': 'inbox-title' },
    h('h2', { id: 'inbox-title' }, t.inbox, badge),
    data.inbox.length === 0
      ? h('p', { class: 'empty', text: t.inboxEmpty })
      : h('ul', { class: 'list', id: 'inbox' },
        [...pending, ...rest].map((q) => inboxItem(q, data.relay, refresh))));
}

function askedItem(q, relay) {
  return h('li', { class: 'question', dataset: { questionId: q.id } },
    h('p', { class: 'meta' },
      q.recipient ? t.to(q.recipient.name) : '', ' · ',
      shortTime(q.asked_at, relay.language, relay.timezone)),
    para(q.text, 'text question-text'),
    q.answer
      ? h('div', { class: 'answer' },
        h('p', { class: 'meta', text: t.answerFrom }),
        para(q.answer.text, 'text answer-text'))
      : h('p', { class: 'badge', text: statusLabel(q.status) }));
}

/** The questions I asked, with their answers. */
export function askedSection(data) {
  return h('section', { class: 'card', 'aria-labelledby': 'asked-title' },
    h('h2', { id: 'asked-title', text: t.asked }),
    data.asked.length === 0
      ? h('p', { class: 'empty', text: t.askedEmpty })
      : h('ul', { class: 'list', id: 'asked' }, data.asked.map((q) => askedItem(q, data.relay))));
}
