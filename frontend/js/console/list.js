// The console's first screen: every relay with its state and start.

import { api } from '../api.js';
import { h, replace, shortTime } from '../dom.js';
import { stateBadge } from './labels.js';
import { ofOrg } from '../orgs.js';

/** Lists the relays in `main`, with a link to create one for those who may. */
export async function showList(main, user) {
  const relays = ofOrg(await api('GET', '/api/relays'), user.org);
  document.title = 'Stafet · Konsol';
  const create = h('a', { class: 'button', href: '#/new', text: 'Ny stafet' });
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'list-title' },
      h('h1', { id: 'list-title', text: 'Stafetter' }),
      user.role === 'analyst' ? null : h('p', { class: 'actions' }, create,
        user.role === 'admin'
          ? h('a', { class: 'button secondary', href: '#/members', text: 'Medlemmer' })
          : null),
      relays.length === 0
        ? h('p', { class: 'empty', text: 'Der er ingen stafetter endnu.' })
        : h('ul', { class: 'list relay-list' }, relays.map(relayItem))));
}

function relayItem(r) {
  const start = r.starts_at ? `Start ${shortTime(r.starts_at, 'da', r.timezone)}` : '';
  return h('li', {},
    h('span', {}, h('a', { href: `#/relay/${r.id}`, text: r.title }), ' ', stateBadge(r.state)),
    h('span', { class: 'meta', text: start }));
}
