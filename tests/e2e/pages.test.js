// The pages in a real browser against the real server: a facilitator sets up and opens a relay
// in the console, two participants take part from their email links (one on a phone), and
// everything appears live on the other screens without a reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, context, linkFor, screenshot, accessibility, emails, signIn } from './harness.js';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Hvad gør I?';

async function login(page, who) {
  await signIn(page, `${server.base}/console`, who);
  await page.getByRole('heading', { name: 'Stafetter' }).waitFor();
}

async function continueFromLink(page, link) {
  await page.goto(link);
  await page.getByRole('button', { name: /Fortsæt|Continue/ }).click();
  await page.waitForURL(/\/app$/);
  await page.locator('#relay-title').waitFor();
}

function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

test('a whole relay runs in the browser: console, two participants, live updates', async () => {
  // Arrange: the facilitator logs in and creates a relay with the wizard.
  const fac = await context(browser, { viewport: { width: 1280, height: 900 } });
  const console_ = await fac.newPage();
  await console_.goto(`${server.base}/console`);
  await console_.getByRole('heading', { name: 'Log ind' }).waitFor();
  assert.deepEqual(await accessibility(console_, 'console-login'), []);
  await screenshot(console_, 'console-login');
  await login(console_, server.facilitator);

  await console_.getByRole('link', { name: 'Ny stafet' }).click();
  await console_.getByLabel('Titel').fill('Ledelse til gavn for borgerne');
  await console_.getByLabel('Emne').fill('Offentlig ledelse');
  await console_.getByLabel('Formål').fill('Fire dage, hvor topledere stiller hinanden de spørgsmål, de selv finder vigtigst.\nSpørgsmålene er anonyme.');
  await console_.locator('#round-prompt-0').fill('Hvordan skaber vi værdi for borgerne?');
  assert.deepEqual(await accessibility(console_, 'console-form'), []);
  await screenshot(console_, 'console-new-relay');
  await console_.getByRole('button', { name: 'Opret stafet' }).click();
  await console_.locator('#relay-title').waitFor();
  assert.match(await console_.locator('#relay-title').innerText(), /Ledelse til gavn for borgerne/);

  // Import: two good rows and one bad email, reported by line.
  await console_.getByRole('tab', { name: 'Deltagere' }).click();
  await console_.getByLabel('Indsæt CSV').fill([
    'name,email,group,title,organisation',
    'Anne Andersen,anne@kommune.dk,Kommune,Kommunaldirektør,Aarhus Kommune',
    'Bo Berg,bo@styrelse.dk,Stat,Direktør,Digitaliseringsstyrelsen',
    'Carl Uden Email,ikke-en-email,Stat,,',
  ].join('\n'));
  await console_.getByRole('button', { name: 'Importér' }).click();
  await console_.locator('#import-report').getByText('2 oprettet, 0 opdateret, 1 afvist.').waitFor();
  const rejected = await console_.locator('#import-report .rejected li').allInnerTexts();
  assert.equal(rejected.length, 1);
  assert.match(rejected[0], /^Linje 4: /);
  assert.equal(await console_.locator('tbody tr').count(), 2);
  assert.deepEqual(await accessibility(console_, 'console-participants'), []);
  await screenshot(console_, 'console-participants');
  // Importing a known person unchanged reports nothing done, and nothing else. (While the relay
  // is a draft no email goes out, so no live update redraws the form under the test's hands.)
  await console_.getByLabel('Indsæt CSV').fill('name,email,group,title,organisation\nAnne Andersen,anne@kommune.dk,Kommune,Kommunaldirektør,Aarhus Kommune');
  await console_.getByRole('button', { name: 'Importér' }).click();
  await console_.locator('#import-report').getByText('0 oprettet, 0 opdateret, 0 afvist.').waitFor();
  assert.equal(await console_.locator('#import-report').innerText(), '0 oprettet, 0 opdateret, 0 afvist.');

  // Open now, confirming the dialog.
  console_.once('dialog', (d) => d.accept());
  await console_.getByRole('button', { name: 'Åbn nu' }).click();
  await console_.locator('.state[data-state="open"]').waitFor();
  await console_.getByRole('tab', { name: 'Overblik' }).click();
  await console_.locator('[data-stat="asked"] .n').waitFor();
  assert.equal(await console_.locator('[data-stat="asked"] .n').innerText(), '0');

  // Two participants from their opening emails: A on a phone, B on a laptop.
  const linkA = await linkFor(server.mailDir, 'anne@kommune.dk');
  const linkB = await linkFor(server.mailDir, 'bo@styrelse.dk');
  const ctxA = await context(browser, PHONE);
  const ctxB = await context(browser, { viewport: { width: 1024, height: 800 } });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  await a.goto(linkA);
  assert.deepEqual(await accessibility(a, 'link-continue'), []);
  await screenshot(a, 'link-continue-phone');
  await continueFromLink(a, linkA);
  await continueFromLink(b, linkB);
  await b.locator('#live-status[data-state="live"]').waitFor();
  await a.locator('#live-status[data-state="live"]').waitFor();
  assert.match(await a.locator('.round').innerText(), /Hvordan skaber vi værdi for borgerne\?/);
  assert.ok(await noHorizontalScroll(a), 'the phone page scrolls sideways');

  // A asks; B sees it arrive without a reload; the facilitator's count moves.
  const question = 'Hvordan sikrer I, at borgernes perspektiv fylder mere end driften på direktionsmøderne?';
  await a.getByLabel('Dit spørgsmål', { exact: true }).fill(question);
  await a.getByRole('button', { name: 'Send spørgsmålet' }).click();
  await a.locator('#asked').getByText(question).waitFor();
  await b.locator('#inbox').getByText(question).waitFor({ timeout: 5000 });
  await console_.locator('[data-stat="asked"] .n', { hasText: '1' }).waitFor({ timeout: 5000 });
  assert.match(await b.locator('#inbox .meta').first().innerText(), /Fra en kollega i gruppen Kommune/);
  assert.doesNotMatch(await b.locator('main').innerText(), /Anne/, 'B must not learn who asked');
  await screenshot(a, 'app-phone-asked');
  await screenshot(b, 'app-inbox');
  assert.deepEqual(await accessibility(b, 'app-inbox'), []);

  // B answers; A sees the answer arrive without a reload; the dashboard counts it.
  const answer = 'Vi starter hvert møde med en konkret borgersag, og vi måler på oplevet kvalitet.';
  await b.getByLabel('Skriv dit svar').fill(answer);
  await b.getByRole('button', { name: 'Send svar' }).click();
  await a.locator('#asked .answer').getByText(answer).waitFor({ timeout: 5000 });
  await console_.locator('[data-stat="answered"] .n', { hasText: '1' }).waitFor({ timeout: 5000 });
  await screenshot(a, 'app-phone-answer');
  assert.ok(await noHorizontalScroll(a), 'the phone page scrolls sideways');
  assert.deepEqual(await accessibility(a, 'app-phone'), []);

  // B got a baton for answering and asks back with markup in the text: A sees it as text.
  await b.getByLabel('Dit spørgsmål', { exact: true }).fill(XSS);
  await b.getByRole('button', { name: 'Send spørgsmålet' }).click();
  await a.locator('#inbox .question-text').first().waitFor({ timeout: 5000 });
  assert.equal(await a.locator('#inbox .question-text').first().innerText(), XSS);
  assert.equal(await a.evaluate(() => window.__pwned), undefined);
  assert.equal(await a.locator('#inbox img').count(), 0);

  // The dashboard lists the activity without content, and the console shows the stranded question.
  const activity = await console_.locator('#activity').innerText();
  assert.match(activity, /Et spørgsmål blev stillet/);
  assert.doesNotMatch(activity, /borgernes perspektiv/);
  // Every event shown has its label from the console's list, none falls back to its raw kind.
  const { labels, shown } = await console_.evaluate(async () => ({
    labels: Object.values((await import('/static/js/console/labels.js')).EVENT_LABELS),
    shown: [...document.querySelectorAll('#activity li')].map((li) => li.lastChild.textContent),
  }));
  assert.ok(shown.length >= 3, `activity: ${shown.join(' | ')}`);
  for (const label of shown) assert.ok(labels.includes(label), `no label for "${label}"`);
  assert.deepEqual(await accessibility(console_, 'console-dashboard'), []);
  await screenshot(console_, 'console-dashboard');
  await console_.getByRole('tab', { name: 'Strandede spørgsmål' }).click();
  await console_.getByRole('heading', { name: 'Ventende spørgsmål (1)' }).waitFor();
  assert.doesNotMatch(await console_.locator('main').innerText(), /<script>/, 'an anonymous question is not shown to staff');
  await screenshot(console_, 'console-stranded');

  // Drafts survive a reload.
  await a.getByLabel('Skriv dit svar').fill('Et halvt skrevet svar, som ikke må gå tabt');
  await a.reload();
  assert.equal(await a.getByLabel('Skriv dit svar').inputValue(), 'Et halvt skrevet svar, som ikke må gå tabt');

  for (const ctx of [fac, ctxA, ctxB]) assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await Promise.all([fac.close(), ctxA.close(), ctxB.close()]);
});

test('the participant page recovers after a dropped connection', async () => {
  const res = await fetch(`${server.base}/api/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(server.facilitator),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = (await res.json()).csrf_token;
  const call = async (method, path, body, type = 'application/json') => {
    const r = await fetch(`${server.base}${path}`, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return r.json();
  };
  const relay = await call('POST', '/api/relays', {
    title: 'Relay on the road', topic: 'Leadership', purpose: 'A relay in English for the reconnect test.',
    language: 'en', timezone: 'Europe/Copenhagen', starts_at: new Date(Date.now() + 86400000).toISOString(),
  });
  await call('POST', `/api/relays/${relay.id}/participants`, 'name,email,group\nEve Example,eve@example.org,North\nFinn Example,finn@example.org,South\n', 'text/csv');
  await call('POST', `/api/relays/${relay.id}/open`, {});
  const ctxE = await context(browser, PHONE);
  const ctxF = await context(browser);
  const e = await ctxE.newPage();
  const f = await ctxF.newPage();
  await continueFromLink(e, await linkFor(server.mailDir, 'eve@example.org'));
  await continueFromLink(f, await linkFor(server.mailDir, 'finn@example.org'));
  assert.equal(await e.locator('html').getAttribute('lang'), 'en');
  await e.locator('#live-status[data-state="live"]').waitFor();

  // Eve's phone goes offline; Finn asks meanwhile; when Eve is back, the question is there.
  await ctxE.setOffline(true);
  await e.evaluate(() => window.dispatchEvent(new Event('offline')));
  const q = 'What is the one decision this year that your citizens will notice most?';
  await f.getByLabel('Your question', { exact: true }).fill(q);
  await f.getByRole('button', { name: 'Send the question' }).click();
  await f.locator('#asked').getByText(q).waitFor();
  await ctxE.setOffline(false);
  await e.locator('#inbox').getByText(q).waitFor({ timeout: 20000 });
  await screenshot(e, 'app-phone-english-after-reconnect');

  // Closed relay: a thank-you state.
  await call('POST', `/api/relays/${relay.id}/close`, {});
  await e.getByRole('heading', { name: /The relay has ended/ }).waitFor({ timeout: 10000 });
  await screenshot(e, 'app-closed');
  assert.deepEqual(ctxE.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|net::/.test(p)), []);
  await Promise.all([ctxE.close(), ctxF.close()]);
});

test('a wrong link and a missing session get clear pages', async () => {
  const ctx = await context(browser, PHONE);
  const page = await ctx.newPage();
  const res = await page.goto(`${server.base}/p/not-a-real-link-aaaaaaaaaaaaaaaaaaaaaaaaaa`);
  assert.equal(res.status(), 401);
  await page.getByRole('heading', { name: /Linket virker ikke/ }).waitFor();
  await page.goto(`${server.base}/app`);
  await page.getByRole('heading', { name: 'Åbn stafetten fra din email' }).waitFor();
  assert.deepEqual(await accessibility(page, 'app-no-session'), []);
  await screenshot(page, 'app-no-session');
  await ctx.close();
  // The emails of the whole run were written.
  assert.ok((await emails(server.mailDir)).length >= 4);
});

test('participant mode: a picked recipient; the facilitator suspends, resends and reroutes', async () => {
  // Arrange: an open relay where participants pick their recipient.
  const fac = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await fac.newPage();
  await login(page, server.facilitator);
  const relay = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('stafet_staff_csrf=')).slice('stafet_staff_csrf='.length);
    const call = async (path, body, type = 'application/json') => {
      const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': type, 'X-CSRF-Token': csrf }, body });
      return r.json();
    };
    const created = await call('/api/relays', JSON.stringify({
      title: 'Stafet om samarbejde', topic: 'Samarbejde på tværs', purpose: 'Spørg en kollega, du selv vælger.',
      language: 'da', timezone: 'Europe/Copenhagen', starts_at: new Date(Date.now() + 86400000).toISOString(),
      settings: { recipient_choice: 'participant' },
    }));
    await call(`/api/relays/${created.id}/participants`,
      'name,email,group,title,organisation\nGitte Grøn,gitte@region.dk,Region,Direktør,Region Midt\nHans Hav,hans@kommune.dk,Kommune,Direktør,Odense Kommune\nIda Is,ida@stat.dk,Stat,Direktør,Styrelsen\nJens Jord,jens@kommune.dk,Kommune,Direktør,Vejle Kommune\n',
      'text/csv');
    await call(`/api/relays/${created.id}/open`, '{}');
    return created;
  });

  // Gitte picks Hans from the list.
  const ctxG = await context(browser, PHONE);
  const g = await ctxG.newPage();
  await continueFromLink(g, await linkFor(server.mailDir, 'gitte@region.dk'));
  await g.locator('#live-status[data-state="live"]').waitFor();
  const options = await g.locator('#ask-recipient option').allInnerTexts();
  assert.ok(options.some((o) => o.startsWith('Hans Hav · Direktør · Odense Kommune')), options.join('|'));
  assert.ok(!options.some((o) => o.startsWith('Gitte')), 'one cannot ask oneself');
  await g.getByLabel('Dit spørgsmål', { exact: true }).fill('Hvordan får I kommuner og region til at dele data om de samme borgere?');
  await g.getByLabel('Hvem skal have spørgsmålet?').selectOption({ label: options.find((o) => o.startsWith('Hans')) });
  await g.getByRole('button', { name: 'Send spørgsmålet' }).click();
  await g.locator('#asked').getByText('Til Hans Hav').waitFor();

  // The facilitator suspends Hans: his question moves on by itself.
  await page.goto(`${server.base}/console#/relay/${relay.id}/participants`);
  await page.getByRole('heading', { name: 'Deltagere (4)' }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Sæt på pause: Hans Hav' }).click();
  await page.getByRole('button', { name: 'Genaktivér: Hans Hav' }).waitFor();
  await page.getByRole('button', { name: 'Send igen: Ida Is' }).click();
  await page.getByText('Emailen sendes igen til Ida Is.').waitFor();

  // Stranded questions: the question now waits with Ida or Jens; send it to the other one.
  await page.getByRole('tab', { name: 'Strandede spørgsmål' }).click();
  await page.getByRole('heading', { name: 'Ventende spørgsmål (1)' }).waitFor();
  const holder = await page.locator('tbody tr td').first().innerText();
  assert.match(holder, /^(Ida Is|Jens Jord) /);
  const other = holder.startsWith('Ida') ? 'Jens Jord' : 'Ida Is';
  await page.locator('tbody select').selectOption({ label: other === 'Ida Is' ? 'Ida Is (Stat)' : 'Jens Jord (Kommune)' });
  await page.getByRole('button', { name: 'Send videre' }).click();
  await page.getByText(`Spørgsmålet er sendt videre til ${other}.`).waitFor();
  await page.locator('tbody tr td', { hasText: other }).first().waitFor();
  await screenshot(page, 'console-rerouted');

  // Hans's link now shows the paused page.
  const hansLink = await linkFor(server.mailDir, 'hans@kommune.dk');
  const ctxH = await context(browser, PHONE);
  const hp = await ctxH.newPage();
  const res = await hp.goto(hansLink);
  assert.equal(res.status(), 403);
  await hp.getByRole('heading', { name: /Adgang sat på pause/ }).waitFor();

  for (const ctx of [fac, ctxG]) assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await Promise.all([fac.close(), ctxG.close(), ctxH.close()]);
});
