// The analyst's pages in a real browser, on the demo relay (a Danish corpus in five topics):
// corpus search and filters, starring, themes with the cake, words, distinctive words, the
// network, the report and the exports.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, context, screenshot, accessibility } from './harness.js';

let server;
let browser;

before(async () => {
  server = await startServer({ demo: true });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('an analyst explores, themes and reports on a relay without seeing names', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(`${server.base}/analysis`);
  await page.getByLabel('Email').fill(server.analyst.email);
  await page.getByLabel('Adgangskode').fill(server.analyst.password);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.getByRole('heading', { name: 'Vælg en stafet' }).waitFor();
  await page.getByRole('link', { name: 'Ledelse til gavn for borgerne' }).click();

  // Corpus: everything, then a search and a filter narrow it down.
  const count = page.locator('#corpus-count');
  await count.getByText(/af \d+ spørgsmål/).waitFor();
  const total = Number((await count.innerText()).match(/af (\d+)/)[1]);
  assert.ok(total >= 40, `demo corpus has ${total} questions`);
  await page.getByLabel('Søg').fill('borgerne');
  const afterSearch = Number((await count.innerText()).match(/^(\d+)/)[1]);
  assert.ok(afterSearch > 0 && afterSearch < total, `search: ${afterSearch} of ${total}`);
  await page.getByLabel('Svar', { exact: true }).selectOption('no');
  const unanswered = Number((await count.innerText()).match(/^(\d+)/)[1]);
  assert.ok(unanswered < afterSearch);
  assert.equal(await page.locator('#corpus-list .answer').count(), 0);
  const body = await page.locator('main').innerText();
  assert.doesNotMatch(body, /Mette Kjær|Lars Bech|@demo\.stafet\.dk/, 'an analyst sees pseudonyms only');
  assert.match(body, /P\d+/);

  // Star the first question for the report.
  await page.getByLabel('Svar', { exact: true }).selectOption('yes');
  const first = page.locator('#corpus-list li').first();
  const starredText = await first.locator('.question-text').innerText();
  await first.getByRole('button', { name: /Til rapporten/ }).click();
  await first.getByRole('button', { name: /Med i rapporten/ }).waitFor();
  assert.deepEqual(await accessibility(page, 'analysis-corpus'), []);
  await screenshot(page, 'analysis-corpus');

  // Themes: find five, see the cake, rename one, then re-run: the renamed one stays.
  await page.getByRole('tab', { name: 'Temaer' }).click();
  await page.getByLabel('Antal temaer').fill('5');
  await page.getByRole('button', { name: 'Find temaer' }).click();
  await page.getByRole('heading', { name: 'Kagen: temaer pr. gruppe' }).waitFor();
  assert.equal(await page.locator('.cake-row').count(), 2);
  assert.equal(await page.locator('section.theme').count(), 5);
  const firstTheme = page.locator('section.theme').first();
  await firstTheme.getByLabel('Navn').fill('Borgernes stemme');
  await firstTheme.getByRole('button', { name: 'Omdøb' }).click();
  await page.getByRole('heading', { name: /^Borgernes stemme/ }).waitFor();
  const lastBefore = await page.locator('section.theme').last().getAttribute('data-theme-id');
  await page.getByRole('button', { name: 'Find temaer igen' }).click();
  // The re-run replaces the unpinned themes, so the last theme on the page changes.
  await page.waitForFunction((old) => {
    const last = [...document.querySelectorAll('section.theme')].pop();
    return last && last.dataset.themeId !== old;
  }, lastBefore);
  await page.getByRole('heading', { name: /^Borgernes stemme/ }).waitFor();
  // A new theme of the analyst's own gets suggestions for… nothing unplaced yet: delete one
  // theme, and its questions come back as suggestions to place.
  page.once('dialog', (d) => d.accept());
  await page.locator('section.theme').last().getByRole('button', { name: 'Slet' }).click();
  await page.getByRole('heading', { name: /Forslag til spørgsmål uden tema/ }).waitFor();
  const suggestion = page.locator('#suggestions li').first();
  await suggestion.getByRole('button', { name: 'Placér' }).click();
  await page.getByRole('heading', { name: 'Kagen: temaer pr. gruppe' }).waitFor();
  assert.equal(await page.locator('.toast[data-kind="error"]:visible').count(), 0, 'no error shown');
  assert.deepEqual(await accessibility(page, 'analysis-themes'), []);
  await screenshot(page, 'analysis-themes');

  // Words and distinctive words as bar charts.
  await page.getByRole('tab', { name: 'Ord', exact: true }).click();
  await page.locator('#words-chart .barline').first().waitFor();
  assert.ok(await page.locator('#words-chart .barline').count() >= 10);
  await page.getByLabel('Gruppe').selectOption({ index: 1 });
  await page.locator('#words-chart .barline').first().waitFor();
  assert.deepEqual(await accessibility(page, 'analysis-words'), []);
  await screenshot(page, 'analysis-words');
  await page.getByRole('tab', { name: 'Særlige ord' }).click();
  await page.locator('#dist-chart .dist-side').first().waitFor();
  assert.equal(await page.locator('#dist-chart .dist-side').count(), 2);
  await screenshot(page, 'analysis-distinctive');

  // The network as a heat map, under pseudonyms.
  await page.getByRole('tab', { name: 'Netværk' }).click();
  await page.locator('table.heat td').first().waitFor();
  assert.equal(await page.locator('table.heat tbody tr').count(), 2);
  assert.doesNotMatch(await page.locator('main').innerText(), /Mette Kjær/);
  assert.deepEqual(await accessibility(page, 'analysis-network'), []);
  await screenshot(page, 'analysis-network');

  // The report opens as a printable page with the starred question; the CSV export downloads.
  await page.getByRole('tab', { name: 'Rapport og eksport' }).click();
  const [report] = await Promise.all([ctx.waitForEvent('page'), page.getByRole('link', { name: 'Åbn rapporten' }).click()]);
  await report.waitForLoadState();
  await report.getByRole('heading', { name: 'Temaer pr. gruppe' }).waitFor();
  assert.match(await report.locator('body').innerText(), new RegExp(starredText.slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(await report.locator('body').innerText(), /Borgernes stemme/);
  await report.emulateMedia({ media: 'print' });
  await screenshot(report, 'report-print');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /^question_id,relay_id,round,round_name,asker,asker_group,recipient,/);
  assert.doesNotMatch(csv, /Mette Kjær|@demo\.stafet\.dk/);

  assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await ctx.close();
});
