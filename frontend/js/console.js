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
import { showAudit, showMembers } from './console/members.js';
import { currentOrg, orgSwitcher } from './orgs.js';

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

// The person's role is their role in the organisation they work in now.
function workIn(org) {
  user.org = org;
  if (org) user.role = org.role;
}

function onSignedIn(u) {
  user = u;
  workIn(currentOrg(u.orgs));
  const switcher = orgSwitcher(u.orgs, (org) => { workIn(org); route(); });
  if (switcher) whoami.prepend(switcher);
  route();
}

async function route() {
  if (stopLive) stopLive();
  stopLive = null;
  if (!user) return;
  const [asked, id, tab] = location.hash.replace(/^#\/?/, '').split('?')[0].split('/')
    .filter(Boolean);
  // An organisation that requires two-factor sign-in: only the account page until it is on.
  user.totp.required = user.orgs.some((o) => o.require_totp);
  const enrol = user.totp.required && !user.totp.on;
  const screen = enrol ? 'account' : asked;
  if (user.role === 'analyst' && screen !== 'account') {
    replace(main, h('section', { class: 'card' },
      h('h1', { text: 'Konsollen er for facilitatorer' }),
      h('p', {}, 'Som analytiker arbejder du i ',
        h('a', { href: '/analysis', text: 'analysen' }), '.')));
    return;
  }
  try {
    if (screen === 'account') {
      await showAccount(main, {
        totp: user.totp,
        onTotp: (on) => { user.totp.on = on; },
        proceed: route,
      });
    }
    else if (screen === 'members' && user.role === 'admin') {
      await showMembers(main, user.org, route);
    } else if (screen === 'audit' && user.role === 'admin') await showAudit(main, user.org);
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
