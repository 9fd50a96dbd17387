// The analyst's pages (/analysis): the corpus with search and filters, themes (the cake per
// group, editing, assisted theming), word frequencies, distinctive words, question form (with
// corrections), focus, expected keywords, activity profiles, the network with its graph, the
// report and the exports. Everything people wrote is inserted as text. This module signs in
// and routes; the screens are the modules in analysis/.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { signIn } from './session.js';
import { onSignedOut, showFailure } from './calls.js';
import { tabbed } from './panels.js';
import { relayList } from './analysis/relays.js';
import { drawCorpus } from './analysis/corpus.js';
import { drawThemes } from './analysis/themes.js';
import { drawWords, drawDistinctive } from './analysis/words.js';
import { drawNetwork } from './analysis/network.js';
import { drawReport } from './analysis/report.js';
import { drawForm } from './analysis/form.js';
import { drawFocus } from './analysis/focus.js';
import { drawProfiles } from './analysis/profiles.js';
import { drawKeywords } from './analysis/keywords.js';
import { STATE } from './console/labels.js';
import { currentOrg, ofOrg, orgSwitcher } from './orgs.js';

const main = document.getElementById('main');
const whoami = document.getElementById('whoami');
let user = null;
let org = null;

const TABS = [
  ['corpus', 'Korpus'], ['themes', 'Temaer'], ['words', 'Ord'], ['distinctive', 'Særlige ord'],
  ['form', 'Form'], ['focus', 'Fokus'], ['keywords', 'Nøgleord'], ['profiles', 'Aktivitet'],
  ['network', 'Netværk'], ['report', 'Rapport og eksport'],
];
const DRAW = {
  corpus: drawCorpus, themes: drawThemes, words: drawWords, distinctive: drawDistinctive,
  form: drawForm, focus: drawFocus, keywords: drawKeywords, profiles: drawProfiles,
  network: drawNetwork, report: drawReport,
};

async function showList() {
  const relays = ofOrg(await relayList(true), org);
  document.title = 'Stafet · Analyse';
  replace(main, h('section', { class: 'card', 'aria-labelledby': 'list-title' },
    h('h1', { id: 'list-title', text: 'Vælg en stafet' }),
    relays.length === 0
      ? h('p', { class: 'empty', text: 'Der er ingen stafetter endnu.' })
      : h('ul', { class: 'list relay-list' }, relays.map((r) => h('li', {},
        h('a', { href: `#/relay/${r.id}/corpus`, text: r.title }),
        h('span', { class: 'meta', text: `${r.topic} · ${STATE[r.state] || r.state}` }))))));
}

async function showRelay(id, tab) {
  const relays = await relayList();
  const relay = relays.find((r) => r.id === id) || await api('GET', `/api/relays/${id}`);
  document.title = `${relay.title} · Analyse · Stafet`;
  const { current, bar, panel } = tabbed('Analyser', TABS, tab, id);
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'relay-title' },
      h('h1', { id: 'relay-title', text: relay.title }),
      h('p', { class: 'meta', text: `${relay.topic} · ${STATE[relay.state] || relay.state}` }),
      bar),
    panel);
  await DRAW[current](relay, panel, user);
}

async function route() {
  if (!user) return;
  const [screen, id, tab] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  try {
    if (screen === 'relay') await showRelay(Number(id), tab);
    else await showList();
  } catch (e) {
    showFailure(main, e);
  }
}

function start() {
  user = null;
  signIn({
    main,
    whoami,
    ready: (u) => {
      user = u;
      org = currentOrg(u.orgs);
      if (org) user.role = org.role;
      const switcher = orgSwitcher(u.orgs, (o) => { org = o; user.role = o.role; route(); });
      if (switcher) whoami.prepend(switcher);
      route();
    },
  });
}

onSignedOut(start);
window.addEventListener('hashchange', route);
start();
