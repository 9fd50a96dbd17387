// The analyst's pages in a real browser, on the demo relay (a Danish corpus in five topics):
// corpus search and filters, starring, themes with the cake, words, distinctive words, the
// network, the report and the exports; the themed graph, question forms and their correction,
// focus, keywords and profiles, and the report's deeper sections.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serverAndBrowser, context, screenshot, accessibility, signIn } from './harness.js';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** A page of `ctx` where `who` has signed in on `path` and sees the heading `list`. */
async function signedIn(ctx, path = '/analysis', who = server.analyst, list = 'Vælg en stafet') {
  const page = await ctx.newPage();
  await signIn(page, `${server.base}${path}`, who);
  await page.getByRole('heading', { name: list }).waitFor();
  return page;
}

test('an analyst explores, themes and reports on a relay without seeing names', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await signedIn(ctx);
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

test('the analyst sees the themed graph, corrects a question\'s form, and the report shows it', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await signedIn(ctx);
  // Relay states in the page's language, not the raw codes.
  assert.doesNotMatch(await page.locator('main').innerText(), /· (open|closed|draft|scheduled)\b/);
  await page.getByRole('link', { name: 'Ledelse til gavn for borgerne' }).click();

  // The graph: a drawing with an arrow per link, and the links as a table beside the matrix.
  await page.getByRole('tab', { name: 'Netværk' }).click();
  const graph = page.locator('#network-graph svg');
  await graph.waitFor();
  assert.ok(await graph.locator('title').count() >= 2, 'the graph has titles for hover');
  assert.match(await graph.getAttribute('aria-labelledby'), /network-title/);
  assert.ok(await page.locator('table.heat tbody tr').count() >= 2, 'the matrix stays');
  assert.deepEqual(await accessibility(page, 'analysis-graph'), []);
  await screenshot(page, 'analysis-graph');

  // Question form: shares per group, and a correction of the first question's form.
  await page.getByRole('tab', { name: 'Form' }).click();
  const item = page.locator('#form-list li').first();
  await item.waitFor();
  const question = await item.locator('.text').innerText();
  const choice = item.locator('select');
  const before = await choice.inputValue();
  const after = before === 'closed' ? 'open' : 'closed';
  await choice.selectOption(after);
  await item.locator('[data-corrected="true"]').waitFor();
  assert.ok(await page.locator('#form-shares table').count() >= 2);
  assert.deepEqual(await accessibility(page, 'analysis-form'), []);
  await screenshot(page, 'analysis-form');

  // Focus, keywords and profiles draw too.
  await page.getByRole('tab', { name: 'Fokus' }).click();
  await page.locator('#focus-inward').waitFor();
  await page.getByRole('tab', { name: 'Nøgleord' }).click();
  await page.getByRole('heading', { name: /skilte sig ud/ }).waitFor();
  await page.getByRole('tab', { name: 'Aktivitet' }).click();
  await page.locator('td[data-profile]').first().waitFor();
  assert.deepEqual(await accessibility(page, 'analysis-profiles'), []);

  // The report shows the correction, the graph and the deeper sections.
  await page.getByRole('tab', { name: 'Rapport og eksport' }).click();
  const [report] = await Promise.all([ctx.waitForEvent('page'),
    page.getByRole('link', { name: 'Åbn rapporten' }).click()]);
  await report.waitForLoadState();
  await report.getByRole('heading', { name: 'Rettet af analytikeren' }).waitFor();
  const corrected = await report.locator('ul.corrected').innerText();
  assert.ok(corrected.includes(question.slice(0, 40)), corrected);
  assert.match(corrected, after === 'closed' ? /lukket/ : /åben/);
  assert.equal(await report.locator('section.depth-graph svg').count(), 1);
  await report.getByRole('heading', { name: 'Aktivitet pr. gruppe' }).waitFor();
  await screenshot(report, 'report-depth');

  assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await ctx.close();
});

test('after the relay closes, the dashboard shows each group\'s activity profile', async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await signedIn(ctx, '/console', server.facilitator, 'Stafetter');
  const status = await page.evaluate(async (id) => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('stafet_staff_csrf='))
      .slice('stafet_staff_csrf='.length);
    const r = await fetch(`/api/relays/${id}/close`, { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
    return r.status;
  }, server.demoRelay);
  assert.equal(status, 200);
  await page.goto(`${server.base}/console#/relay/${server.demoRelay}`);
  await page.getByRole('heading', { name: 'Gruppernes profil' }).waitFor();
  assert.equal(await page.locator('td[data-profile]').count(), 2);
  assert.deepEqual(await accessibility(page, 'console-dashboard-closed'), []);
  await screenshot(page, 'console-dashboard-closed');
  assert.deepEqual(ctx.problems, [], 'CSP violations or page errors');
  await ctx.close();
});
