// The console's Danish names for the codes the server sends: relay states, the staff feed's
// event kinds, and email kinds and statuses. A unit test in src/http/routes/pages.rs checks that
// EVENT_LABELS and QUIET_EVENTS together name exactly the kinds the staff feed sends.

import { h } from '../dom.js';

export const STATE = { draft: 'Kladde', scheduled: 'Planlagt', open: 'Åben', closed: 'Afsluttet' };

/** What each staff-feed event says in the activity list; only what happened, never who. */
export const EVENT_LABELS = {
  relay_scheduled: 'Stafetten blev planlagt',
  relay_opened: 'Stafetten åbnede',
  relay_closed: 'Stafetten blev lukket',
  round_started: 'En ny runde begyndte',
  question_asked: 'Et spørgsmål blev stillet',
  question_answered: 'Et spørgsmål blev besvaret',
  question_rerouted: 'Et spørgsmål blev sendt videre',
  participant_suspended: 'En deltager blev sat på pause',
  participant_unsuspended: 'En deltager blev genaktiveret',
  link_recovered: 'En deltager bad om et nyt link og fik det sendt',
  participants_imported: 'Deltagere blev importeret',
  participant_erased: 'En deltagers persondata blev slettet',
  relay_erased: 'Stafettens persondata blev slettet',
};

/** Events that only move the counters: email status changes would drown the activity list. */
export const QUIET_EVENTS = new Set(['email_status']);

export const EMAIL_KIND = {
  invitation: 'Invitation',
  opening: 'Åbning',
  question_received: 'Nyt spørgsmål',
  answer_received: 'Nyt svar',
  reminder: 'Påmindelse',
  question_withdrawn: 'Spørgsmål trukket tilbage',
  round_started: 'Ny runde',
  closing: 'Afslutning',
};

export const EMAIL_STATUS = { queued: 'I kø', sending: 'Sendes', sent: 'Sendt', failed: 'Fejlet' };

/** A relay's state as a badge. */
export function stateBadge(state) {
  return h('span', { class: 'state', dataset: { state }, text: STATE[state] || state });
}
