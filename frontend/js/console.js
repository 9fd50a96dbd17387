// The facilitator's console (/console): log in, list relays, create and edit a relay (text,
// rounds, rules), import participants, schedule/open/close, and run the relay from a live
// dashboard with the participants table and the stranded questions; and every staff member's
// account page. This module signs in and routes; the screens are the modules in console/.

import { h, replace } from './dom.js';
import { signIn } from './session.js';
import { onSignedOut, showFailure } from './calls.js';
import { showList } from './console/list.js';
import { showForm } from './console/form.js';
import { showRelay } from './console/relay.js';
import { showAccount } from './console/account.js';

const main = document.getElementById('main');
const whoami = document.getElementById('whoami');
let user = null;
let stopLive = null;

function showLogin() {
  if (stopLive) stopLive();
  stopLive = null;
  user = null;
  signIn({ main, whoami, ready: onSignedIn });
}

function onSignedIn(u) {
  user = u;
  if (u.role === 'analyst' && !location.hash.startsWith('#/account')) {
    replace(main, h('section', { class: 'card' },
      h('h1', { text: 'Konsollen er for facilitatorer' }),
      h('p', {}, 'Som analytiker arbejder du i ',
        h('a', { href: '/analysis', text: 'analysen' }), '.')));
    return;
  }
  route();
}

async function route() {
  if (stopLive) stopLive();
  stopLive = null;
  const [screen, id, tab] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (!user || (user.role === 'analyst' && screen !== 'account')) return;
  try {
    if (screen === 'account') await showAccount(main);
    else if (screen === 'new') await showForm(main, null);
    else if (screen === 'relay' && tab === 'edit') await showForm(main, Number(id));
    else if (screen === 'relay') {
      stopLive = await showRelay({ main, user, id: Number(id), tab, reload: route });
    } else await showList(main, user);
    main.focus({ preventScroll: true });
  } catch (e) {
    showFailure(main, e);
  }
}

onSignedOut(showLogin);
signIn({ main, whoami, ready: onSignedIn });
window.addEventListener('hashchange', route);
