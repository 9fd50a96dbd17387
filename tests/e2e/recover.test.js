// Lost links, the account page and a forgotten password in a real browser: a participant whose
// link a newer one has superseded follows "get a new link" from the dead link's page, enters
// their email, and opens the fresh link from the email; a facilitator sees their session on the
// account page and makes and revokes an API token; a staff member resets a forgotten password
// from the sign-in page through the emailed link and signs in with the new one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, context, emails, screenshot, accessibility, signIn } from './harness.js';

let server;
let browser;

// No grace period: a resent link ends the older one at once, so the test need not wait a day.
serverAndBrowser({ env: { STAFET__LINKS__GRACE_HOURS: '0' } }, (s, b) => {
  server = s;
  browser = b;
});

async function call(method, path, body) {
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${server.facilitatorToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The personal links in the emails to `address`, oldest first. */
async function linksTo(address) {
  return (await emails(server.mailDir))
    .filter((e) => e.to === address)
    .map((e) => (e.text.match(/https?:\/\/\S+\/p\/[A-Za-z0-9_-]+/) || [])[0])
    .filter(Boolean);
}

/** Waits until more than `count` emails with a link reached `address`; returns the newest. */
async function nextLink(address, count) {
  for (let i = 0; i < 150; i++) {
    const links = await linksTo(address);
    if (links.length > count) return links[links.length - 1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no new link to ${address}`);
}

test('a participant recovers a dead link by email and reaches the relay', async () => {
  const relay = await call('POST', '/api/relays', {
    title: 'Ledelse til gavn for borgerne',
    topic: 'Offentlig ledelse',
    purpose: 'Spørgsmål mellem topledere.',
    language: 'da',
    timezone: 'Europe/Copenhagen',
    starts_at: new Date(Date.now() + 60_000).toISOString(),
  });
  const email = 'mette@kommune.dk';
  await call('POST', `/api/relays/${relay.id}/participants`, [
    { name: 'Mette Hansen', email, group: 'Kommune' },
    { name: 'Ole Jensen', email: 'ole@stat.dk', group: 'Stat' },
  ]);
  await call('POST', `/api/relays/${relay.id}/open`, {});
  const first = await nextLink(email, 0);
  const people = await call('GET', `/api/relays/${relay.id}/participants`);
  const mette = people.find((p) => p.email === email);
  await call('POST', `/api/relays/${relay.id}/participants/${mette.id}/resend-email`, {});
  const before = (await nextLink(email, 1)) && (await linksTo(email)).length;

  // A Danish browser: the recovery page answers in Danish (English to a browser that prefers it).
  const ctx = await context(browser, { locale: 'da-DK' });
  const page = await ctx.newPage();
  await page.goto(first);
  await page.getByRole('heading', { name: /Linket virker ikke/ }).waitFor();
  await page.getByRole('link', { name: /Få et nyt link/ }).click();
  await page.getByLabel('Emailadresse').fill(email);
  assert.deepEqual(await accessibility(page, 'recover-form'), []);
  await screenshot(page, 'recover-form');
  await page.getByRole('button', { name: 'Send mig et nyt link' }).click();
  await page.getByRole('status').waitFor();

  const fresh = await nextLink(email, before);
  assert.notEqual(fresh, first);
  await page.goto(fresh);
  await page.getByRole('button', { name: /Fortsæt|Continue/ }).click();
  await page.waitForURL(/\/app$/);
  await page.locator('#relay-title').waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();

  const feed = await call('GET', `/api/relays/${relay.id}/events`);
  assert.ok(feed.some((e) => e.type === 'link_recovered'), JSON.stringify(feed));
});

test('the account page lists the current session and makes and revokes a token', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, `${server.base}/console`, server.facilitator);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();

  await page.getByRole('link', { name: 'Min konto' }).click();
  await page.getByRole('heading', { name: 'Min konto' }).waitFor();
  await page.locator('.session-list').getByText('Denne session').waitFor();

  await page.getByLabel('Navn').fill('Rapport-eksport');
  await page.getByLabel('Udløber om (dage)').fill('30');
  await page.getByRole('button', { name: 'Lav token' }).click();
  const secret = await page.locator('#new-token').textContent();
  assert.match(secret, /^[A-Za-z0-9_-]{54}$/);
  await page.locator('.token-list').getByText('Rapport-eksport').waitFor();
  const ok = await fetch(`${server.base}/api/relays`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(ok.status, 200);
  assert.deepEqual(await accessibility(page, 'console-account'), []);
  await screenshot(page, 'console-account');

  await page.getByRole('button', { name: 'Tilbagekald Rapport-eksport' }).click();
  await page.locator('.token-list').getByText('Rapport-eksport').waitFor({ state: 'detached' });
  const gone = await fetch(`${server.base}/api/relays`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(gone.status, 401);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('a forgotten password is reset from the sign-in page through the emailed link', async () => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/console`);
  await page.getByRole('link', { name: 'Glemt adgangskode?' }).click();
  await page.getByLabel('Email').fill(server.analyst.email);
  await page.getByRole('button', { name: 'Send mig et link' }).click();
  await page.getByRole('status').waitFor();

  let link = null;
  for (let i = 0; i < 150 && !link; i++) {
    const mail = (await emails(server.mailDir)).find((e) => e.to === server.analyst.email);
    link = mail && (mail.text.match(/https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/) || [])[0];
    if (!link) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(link, 'no reset email');
  await page.goto(link);
  await page.getByLabel('Ny adgangskode', { exact: true }).fill('en ny og lang adgangskode');
  assert.deepEqual(await accessibility(page, 'reset-password'), []);
  await page.getByRole('button', { name: 'Gem adgangskoden' }).click();
  await page.getByRole('status').waitFor();

  await page.getByRole('link', { name: 'Til log ind' }).click();
  await page.getByLabel('Email').fill(server.analyst.email);
  await page.getByLabel('Adgangskode').fill('en ny og lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.getByRole('heading', { name: 'Konsollen er for facilitatorer' }).waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
