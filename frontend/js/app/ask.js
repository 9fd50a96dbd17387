// The ask form: the participant's batons, the question, and in participant mode the colleague
// who gets it.

import { api } from '../api.js';
import { h, toast } from '../dom.js';
import { errorBox } from '../forms.js';
import { t } from './strings.js';
import { page } from './state.js';
import { fail, saveDraft, textField, tooShort } from './fields.js';

const QUESTION = { min: 10, max: 2000 };

function recipientPicker(recipients) {
  const picker = h('select', { id: 'ask-recipient', name: 'recipient', required: true },
    h('option', { value: '', text: t.recipientChoose }),
    recipients.map((r) => h('option', {
      value: r.id,
      text: [r.name, r.title, r.organisation, r.group].filter(Boolean).join(' · '),
    })));
  // A live update re-renders the form; the colleague already picked stays picked.
  if (recipients.some((r) => String(r.id) === page.pickedRecipient)) {
    picker.value = page.pickedRecipient;
  }
  picker.addEventListener('change', () => { page.pickedRecipient = picker.value; });
  return picker;
}

/** My batons and, while I may ask, the form; `refresh` runs after a question is sent. */
export function askSection(data, refresh) {
  const { relay } = data;
  const section = h('section', { class: 'card', 'aria-labelledby': 'ask-title' },
    h('h2', { id: 'ask-title', text: t.ask }),
    h('p', {
      class: 'batons', id: 'batons', text: data.batons > 0 ? t.batons(data.batons) : t.noBatons,
    }));
  if (relay.state !== 'open' || data.batons <= 0) return section;
  const participantMode = relay.recipient_choice === 'participant';
  if (participantMode && data.recipients.length === 0) {
    section.append(h('p', { class: 'empty', text: t.noRecipients }));
    return section;
  }
  const field = textField({
    id: 'ask-text', label: t.askLabel, hint: t.askHint, limits: QUESTION, draft: 'ask',
  });
  const picker = participantMode ? recipientPicker(data.recipients) : null;
  const form = h('form', { class: 'ask-form', novalidate: true },
    field.node,
    picker
      ? h('div', { class: 'field' },
        h('label', { for: 'ask-recipient', text: t.recipientLabel }), picker)
      : h('p', { class: 'hint', text: t.autoRecipient }),
    errorBox(),
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
      page.pickedRecipient = '';
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
