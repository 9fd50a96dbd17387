// The relay's privacy notice (who holds the participant's data, why, for how long, their
// rights) and the download of everything held about them. It stands open until the participant
// has written something, so it is read before the first question or answer; then it folds away.

import { h, para } from '../dom.js';
import { t } from './strings.js';

/** Whether the participant has written anything yet: a question, or an answer. */
function hasWritten(data) {
  return data.asked.length > 0 || data.inbox.some((q) => q.answer);
}

/** The notice as a collapsible card. */
export function privacySection(data) {
  const { relay } = data;
  const parts = (relay.privacy_text || '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  const line = (label, value) => (value
    ? h('p', {}, h('strong', { text: `${label}: ` }), value)
    : null);
  return h('details', { id: 'privacy', class: 'card privacy', open: !hasWritten(data) },
    h('summary', {}, h('h2', { class: 'small', text: t.privacy })),
    parts.map((p) => para(p)),
    para(t.retention(relay.retention_days)),
    line(t.controller, relay.controller),
    line(t.privacyContact, relay.privacy_contact),
    h('p', {}, h('a', { href: '/api/me/data', download: '', text: t.myData })));
}
