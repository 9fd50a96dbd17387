// Two-factor sign-in in a real browser: a facilitator turns it on from the account page (the
// secret shown as text, the first code typed, the recovery codes shown once), signs out, and
// signs in again with a code the login form asks for; an admin requires it of the whole
// organisation from the members page and is sent to the enrolment screen until they turn it on.
// Codes are computed here with HMAC-SHA1 as RFC 6238 says, as an authenticator app would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, context, screenshot, accessibility, totp, step, nextStep, signIn,
} from './harness.js';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

/** Turns two-factor sign-in on in the open account page; returns the secret and its step. */
async function enrol(page) {
  await page.getByRole('button', { name: 'Slå totrinsbekræftelse til' }).click();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = await page.locator('#totp-uri').textContent();
  assert.match(uri, /^otpauth:\/\/totp\/Stafet:.+\?secret=[A-Z2-7]{32}&issuer=Stafet$/);
  const used = step();
  await page.getByLabel('Kode fra appen').fill(totp(secret, used));
  await page.getByRole('button', { name: 'Bekræft' }).click();
  await page.locator('#totp-recovery li').first().waitFor();
  assert.equal(await page.locator('#totp-recovery li').count(), 10);
  await page.getByText('Totrinsbekræftelse er slået til.').waitFor();
  return { secret, used };
}

test('a facilitator turns two-factor sign-in on and signs in with a code', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, `${server.base}/console`, server.facilitator);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
  await page.getByRole('link', { name: 'Min konto' }).click();
  await page.getByRole('heading', { name: 'Totrinsbekræftelse' }).waitFor();
  const { secret, used } = await enrol(page);
  assert.deepEqual(await accessibility(page, 'console-totp'), []);
  await screenshot(page, 'console-totp');

  await page.getByRole('button', { name: 'Log ud' }).click();
  await signIn(page, `${server.base}/console`, server.facilitator);
  const code = page.getByLabel('Kode fra din godkendelsesapp');
  await code.waitFor();
  await page.getByText('Indtast koden fra din godkendelsesapp.').waitFor();
  assert.deepEqual(await accessibility(page, 'login-totp'), []);
  await code.fill(totp(secret, await nextStep(used)));
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
});

test('an admin requires two-factor sign-in and must turn it on before going on', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, `${server.base}/console`, server.admin);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
  await page.goto(`${server.base}/console#/members`);
  const box = page.getByLabel('Kræv totrinsbekræftelse af alle medlemmer');
  // A click, not `check()`: saving the setting re-renders the console onto the account page,
  // so the box is gone before Playwright could read its state back, and `check()` waits on it.
  await box.click();
  await page.locator('#totp-needed').waitFor();
  // Staff routes are closed to the admin until they enrol.
  const closed = await page.evaluate(async () => (await fetch('/api/relays')).status);
  assert.equal(closed, 403);
  await enrol(page);
  // On to where they were going: the members page, the requirement on.
  await page.getByRole('button', { name: 'Fortsæt' }).click();
  await page.getByRole('heading', { name: /Medlemmer af/ }).waitFor();
  assert.equal(await page.getByLabel('Kræv totrinsbekræftelse af alle medlemmer').isChecked(), true);
});
