// Organisations on the staff pages: which one the person works in (remembered in this browser),
// the switcher shown when they belong to several, and their role there.

import { h } from './dom.js';

const KEY = 'stafet_org';

/** The organisation the person works in now: the one chosen last, or their first. */
export function currentOrg(orgs) {
  const chosen = Number(localStorage.getItem(KEY));
  const org = orgs.find((o) => o.id === chosen) || orgs[0] || null;
  if (org) localStorage.setItem(KEY, String(org.id));
  return org;
}

/** The id of the organisation chosen on this page (for a new relay), or null. */
export function chosenOrgId() {
  return Number(localStorage.getItem(KEY)) || null;
}

/** A select of the person's organisations, or nothing when they belong to one. */
export function orgSwitcher(orgs, onChange) {
  if (orgs.length < 2) return null;
  const current = currentOrg(orgs);
  const sel = h('select', { id: 'org-switcher', class: 'small' },
    orgs.map((o) => h('option', { value: o.id, text: o.name })));
  sel.value = String(current.id);
  sel.addEventListener('change', () => {
    localStorage.setItem(KEY, sel.value);
    onChange(currentOrg(orgs));
  });
  return h('span', { class: 'org-switcher' },
    h('label', { for: 'org-switcher', text: 'Organisation ' }), sel);
}

/** The relays of organisation `org` among `relays`. */
export function ofOrg(relays, org) {
  return org ? relays.filter((r) => r.org_id === org.id) : relays;
}
