// Personal data in a real browser: a participant sees the relay's privacy notice on the link
// page and in /app before they write anything (and can download their data); a facilitator
// copies a relay in the console, lands on the copy and erases one of its participants.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, context, linkFor, screenshot, accessibility, signIn } from './harness.js';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

/** API calls as the facilitator, through a session cookie. */
async function staffApi() {
  const res = await fetch(`${server.base}/api/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(server.facilitator),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = (await res.json()).csrf_token;
  return async (method, path, body, type = 'application/json') => {
    const r = await fetch(`${server.base}${path}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return r.json();
  };
}

const NOTICE = 'Vi behandler dine oplysninger for Ravnsholt Kommune for at gennemføre stafetten.';

test('the participant sees the privacy notice before the first question', async () => {
  const call = await staffApi();
  const relay = await call('POST', '/api/relays', {
    title: 'Stafet om persondata', topic: 'Ledelse', purpose: 'En stafet til browsertesten af privatlivsteksten.',
    language: 'da', timezone: 'Europe/Copenhagen', starts_at: new Date(Date.now() + 86400000).toISOString(),
    controller: 'Ravnsholt Kommune, Torvet 1', privacy_contact: 'dpo@ravnsholt.dk',
    privacy_text: `${NOTICE}\n\nDu kan få indsigt i dine oplysninger.`,
  });
  await call('POST', `/api/relays/${relay.id}/participants`,
    'name,email,group\nGry Hansen,gry@ravnsholt.dk,Kommune\nHans Holm,hans@ravnsholt.dk,Region\n', 'text/csv');
  await call('POST', `/api/relays/${relay.id}/open`, {});
  const ctx = await context(browser, { viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();

  // The link page shows the notice before anything is written.
  await page.goto(await linkFor(server.mailDir, 'gry@ravnsholt.dk'));
  const onLink = page.locator('#privacy');
  await onLink.waitFor();
  assert.match(await onLink.innerText(), /Ravnsholt Kommune, Torvet 1/);
  assert.match(await onLink.innerText(), new RegExp(NOTICE));
  await page.getByRole('button', { name: 'Fortsæt til stafetten' }).click();
  await page.waitForURL(/\/app$/);

  // In /app it stands open above the ask form until the participant writes.
  const notice = page.locator('details#privacy');
  await notice.waitFor();
  assert.equal(await notice.getAttribute('open'), '');
  assert.match(await notice.innerText(), new RegExp(NOTICE));
  await page.locator('#ask-text').waitFor();
  const before = await page.evaluate(() => Boolean(document.querySelector('details#privacy')
    .compareDocumentPosition(document.querySelector('#ask-text'))
    & Node.DOCUMENT_POSITION_FOLLOWING));
  assert.ok(before, 'the notice comes before the ask form');
  assert.deepEqual(await accessibility(page, 'app-privacy'), []);
  await screenshot(page, 'app-privacy');

  // The download link gives everything held about the participant as a file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Hent mine data' }).click(),
  ]);
  const file = await download.path();
  const data = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
  assert.equal(data.participant.email, 'gry@ravnsholt.dk');

  // Once they have asked, it folds away.
  await page.getByLabel('Dit spørgsmål').fill('Hvordan får du tid til at lede dine ledere i en travl hverdag?');
  await page.getByRole('button', { name: 'Send spørgsmålet' }).click();
  await page.locator('details#privacy:not([open])').waitFor({ timeout: 10000 });
  assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await ctx.close();
});

test('the facilitator copies a relay and opens the copy', async () => {
  const call = await staffApi();
  const relay = await call('POST', '/api/relays', {
    title: 'Forårets stafet', topic: 'Ledelse', purpose: 'Den stafet, der skal køre igen til efteråret.',
    language: 'da', timezone: 'Europe/Copenhagen', starts_at: new Date(Date.now() + 86400000).toISOString(),
  });
  await call('POST', `/api/relays/${relay.id}/participants`,
    'name,email,group\nIda Iversen,ida@x.dk,Kommune\nJens Juul,jens@x.dk,Stat\n', 'text/csv');
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, `${server.base}/console`, server.facilitator);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
  await page.goto(`${server.base}/console#/relay/${relay.id}`);
  await page.locator('#relay-title').waitFor();
  assert.match(await page.locator('#retention').innerText(), /Persondata slettes/);

  await page.getByRole('button', { name: 'Kopiér' }).click();
  await page.getByLabel('Titel på kopien').fill('Efterårets stafet');
  await page.getByLabel('Tag deltagerlisten med').check();
  assert.deepEqual(await accessibility(page, 'console-copy'), []);
  await page.getByRole('button', { name: 'Opret kopi' }).click();

  await page.locator('#relay-title', { hasText: 'Efterårets stafet' }).waitFor();
  assert.match(await page.locator('#relay-title').innerText(), /Kladde/);
  assert.notEqual(page.url(), `${server.base}/console#/relay/${relay.id}`);
  await page.getByRole('tab', { name: 'Deltagere' }).click();
  await page.getByRole('heading', { name: 'Deltagere (2)' }).waitFor();
  assert.deepEqual(await page.locator('tbody th[scope="row"]').allInnerTexts(),
    ['Ida Iversen', 'Jens Juul']);
  await screenshot(page, 'console-copy');

  // Erasing one participant on request: a dialog with the choice for their texts.
  await page.getByRole('button', { name: 'Slet persondata: Ida Iversen' }).click();
  const dialog = page.getByRole('dialog', { name: 'Slet persondata for Ida Iversen' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel(/Behold dem under pseudonymet/).isChecked(), true);
  assert.deepEqual(await accessibility(page, 'console-erase'), []);
  await dialog.getByRole('button', { name: 'Slet nu' }).click();
  await page.locator('tbody tr', { hasText: 'Persondata slettet' }).waitFor();
  assert.doesNotMatch(await page.locator('tbody').innerText(), /Ida Iversen|ida@x\.dk/);
  assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await ctx.close();
});
