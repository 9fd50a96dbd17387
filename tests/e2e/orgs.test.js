// Staff managed in the browser: an organisation admin invites a facilitator from the members
// page, the facilitator takes the invitation up from the email's link, chooses a password, turns
// on two-factor sign-in, signs in again with a code, and creates and opens a relay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, context, linkFor, screenshot, accessibility, totp, step, nextStep, signIn,
} from './harness.js';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

test('an admin invites a facilitator who signs up from the email and runs a relay', async () => {
  // The admin invites from the members page.
  const adminCtx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const admin = await adminCtx.newPage();
  await signIn(admin, `${server.base}/console`, server.admin);
  await admin.getByRole('heading', { name: 'Stafetter' }).waitFor();
  await admin.getByRole('link', { name: 'Medlemmer' }).click();
  await admin.getByRole('heading', { name: /Medlemmer af/ }).waitFor();
  assert.match(await admin.locator('table').innerText(), /facilitator@stafet\.dk/);
  await admin.getByLabel('Email').fill('ny.facilitator@stafet.dk');
  await admin.getByLabel('Rolle', { exact: true }).selectOption('facilitator');
  await admin.getByRole('button', { name: 'Send invitation' }).click();
  await admin.locator('#toast').getByText(/Invitationen er sendt/).waitFor();
  assert.deepEqual(await accessibility(admin, 'console-members'), []);
  await screenshot(admin, 'console-members');
  // The audit log shows the invitation, and filters by action.
  await admin.getByRole('link', { name: 'Se revisionsloggen' }).click();
  await admin.getByRole('heading', { name: /Revisionslog for/ }).waitFor();
  await admin.locator('table').getByText('member_invited').waitFor();
  await admin.getByLabel('Handling').fill('sign_in');
  await admin.getByRole('button', { name: 'Filtrer' }).click();
  await admin.waitForURL(/kind=sign_in/);
  // The filtered table replaces the whole one once its call answers: wait for that.
  await admin.locator('table').getByText('member_invited').waitFor({ state: 'detached' });
  await admin.locator('table').getByText('admin@stafet.dk').first().waitFor();
  assert.doesNotMatch(await admin.locator('table').innerText(), /member_invited/);
  assert.deepEqual(await accessibility(admin, 'console-audit'), []);

  // The facilitator follows the link in the .eml and chooses a password.
  const link = await linkFor(server.mailDir, 'ny.facilitator@stafet.dk', 15000, 'invite');
  const facCtx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const fac = await facCtx.newPage();
  await fac.goto(link);
  await fac.getByRole('heading', { name: 'Tag imod invitationen' }).waitFor();
  assert.deepEqual(await accessibility(fac, 'invite'), []);
  await fac.getByLabel(/Adgangskode/).fill('et godt langt kodeord');
  await fac.getByRole('button', { name: 'Tag imod og log ind' }).click();
  await fac.waitForURL(/\/console$/);
  await fac.getByRole('heading', { name: 'Stafetter' }).waitFor();

  // They turn on two-factor sign-in, sign out, and sign in again with a code from their app.
  await fac.getByRole('link', { name: 'Min konto' }).click();
  await fac.getByRole('button', { name: 'Slå totrinsbekræftelse til' }).click();
  const secret = (await fac.locator('#totp-secret').textContent()).trim();
  const used = step();
  await fac.getByLabel('Kode fra appen').fill(totp(secret, used));
  await fac.getByRole('button', { name: 'Bekræft' }).click();
  await fac.getByText('Totrinsbekræftelse er slået til.').waitFor();
  await fac.getByRole('button', { name: 'Log ud' }).click();
  await signIn(fac, `${server.base}/console`,
    { email: 'ny.facilitator@stafet.dk', password: 'et godt langt kodeord' });
  const code = fac.getByLabel('Kode fra din godkendelsesapp');
  await code.waitFor();
  await code.fill(totp(secret, await nextStep(used)));
  await fac.getByRole('button', { name: 'Log ind' }).click();
  await fac.getByRole('heading', { name: 'Stafetter' }).waitFor();

  // Signed in, the new facilitator creates a relay and opens it.
  await fac.getByRole('link', { name: 'Ny stafet' }).click();
  await fac.getByLabel('Titel').fill('Første stafet');
  await fac.getByLabel('Emne').fill('Samarbejde');
  await fac.getByLabel('Formål').fill('Spørgsmål mellem ledere på tværs af kommunerne.');
  await fac.getByRole('button', { name: 'Opret stafet' }).click();
  await fac.locator('#relay-title').waitFor();
  await fac.getByRole('tab', { name: 'Deltagere' }).click();
  await fac.getByLabel('Indsæt CSV').fill([
    'name,email,group',
    'Anne Andersen,anne@kommune.dk,Kommune',
    'Bo Berg,bo@styrelse.dk,Stat',
  ].join('\n'));
  await fac.getByRole('button', { name: 'Importér' }).click();
  await fac.locator('#import-report').getByText('2 oprettet, 0 opdateret, 0 afvist.').waitFor();
  fac.once('dialog', (d) => d.accept());
  await fac.getByRole('button', { name: 'Åbn nu' }).click();
  await fac.locator('.state[data-state="open"]').waitFor();
  await screenshot(fac, 'invited-facilitator-opened');

  // The link is spent: a second visit cannot take it up again.
  const again = await facCtx.newPage();
  await again.goto(link);
  await again.getByLabel(/Adgangskode/).fill('et andet langt kodeord');
  await again.getByRole('button', { name: 'Tag imod og log ind' }).click();
  await again.locator('#status').getByText(/already been used/).waitFor();

  assert.deepEqual(adminCtx.problems, []);
  assert.deepEqual(facCtx.problems, []);
});

test('a person in two organisations switches between them in the console', async () => {
  // A second organisation whose admin invites the facilitator as an analyst there.
  const org = Number(server.cli('org', 'add', '--name', 'Region Nord').match(/^id: (\d+)$/m)[1]);
  const adminB = server.cli('user', 'add', '--email', 'admin@nord.dk', '--role', 'admin', '--org', String(org));
  const tokenB = adminB.match(/^token: (.+)$/m)[1].trim();
  const invited = await fetch(`${server.base}/api/orgs/${org}/invitations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokenB}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: server.facilitator.email, role: 'analyst' }),
  });
  assert.equal(invited.status, 201, await invited.text());
  const link = await linkFor(server.mailDir, server.facilitator.email, 15000, 'invite');
  const token = link.split('/invite/')[1];
  const accepted = await fetch(`${server.base}/api/auth/invitations/${token}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password: server.facilitator.password }),
  });
  assert.equal(accepted.status, 200, await accepted.text());

  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, `${server.base}/console`, server.facilitator);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
  const switcher = page.getByLabel('Organisation');
  assert.deepEqual(await switcher.locator('option').allInnerTexts(), ['Default organisation', 'Region Nord']);
  // An analyst in Region Nord: the console sends them to the analysis.
  await switcher.selectOption({ label: 'Region Nord' });
  await page.getByRole('heading', { name: 'Konsollen er for facilitatorer' }).waitFor();
  await switcher.selectOption({ label: 'Default organisation' });
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
  assert.deepEqual(await accessibility(page, 'console-switcher'), []);
  await screenshot(page, 'console-switcher');
  assert.deepEqual(ctx.problems, []);
});
