// Starts the real `stafet serve` on a free port with a temporary SQLite file and .eml outbox,
// creates a facilitator with the CLI, and launches Debian's Chromium through playwright-core.
// With STAFET_TEST_BACKEND=postgres the server runs on a fresh database on STAFET_TEST_PG_URL
// (dropped when it stops) and sends its mail by SMTP to a sink that writes the same folder.

import { before, after } from 'node:test';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { startSmtpSink } from './smtp-sink.js';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
export const artifacts = join(root, 'test-artifacts');
const execFileAsync = promisify(execFile);
const bin = process.env.STAFET_BIN || join(root, 'target', 'debug', 'stafet');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/** `url` naming `database` in place of its own (its query kept). */
function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The database the server runs on, and how to drop it: a SQLite file in `dir`, or in the
 * PostgreSQL pass a fresh database (created and dropped with psql) whose mail goes by SMTP.
 */
async function database(dir, mailDir) {
  if ((process.env.STAFET_TEST_BACKEND || 'sqlite') === 'sqlite') {
    return { db: join(dir, 'stafet.sqlite'), env: {}, drop: async () => {} };
  }
  if (process.env.STAFET_TEST_BACKEND !== 'postgres') throw new Error('STAFET_TEST_BACKEND is sqlite or postgres');
  const server = process.env.STAFET_TEST_PG_URL;
  if (!server) throw new Error('STAFET_TEST_PG_URL is not set: the PostgreSQL pass needs a server (scripts/test.sh starts one)');
  const name = `stafet_e2e_${randomBytes(8).toString('hex')}`;
  execFileSync('psql', [server, '-qc', `CREATE DATABASE ${name}`]);
  const sink = await startSmtpSink(mailDir);
  return {
    db: withDatabase(server, name),
    env: { STAFET__EMAIL__SMTP__HOST: '127.0.0.1', STAFET__EMAIL__SMTP__PORT: String(sink.port), STAFET__EMAIL__SMTP__TLS: 'none' },
    drop: async () => {
      await sink.close();
      execFileSync('psql', [server, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

/**
 * A running server: `base`, the facilitator's login and API token, the outbox folder, `stop()`.
 * `env` adds settings (`STAFET__SECTION__KEY`).
 */
export async function startServer({ demo = false, env: extraEnv = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stafet-e2e-'));
  const mailDir = join(dir, 'mail');
  const { db, env: dbEnv, drop } = await database(dir, mailDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ...dbEnv,
    STAFET__SERVER__PUBLIC_URL: base,
    STAFET__SCHEDULER__TICK_MS: '250',
    RUST_LOG: process.env.RUST_LOG || 'warn',
    ...extraEnv,
  };
  const out = execFileSync(bin, ['user', 'add', '--email', 'facilitator@stafet.dk', '--role', 'facilitator', '--db', db], { env, encoding: 'utf8' });
  const password = out.match(/^password: (.+)$/m)[1].trim();
  const facilitatorToken = out.match(/^token: (.+)$/m)[1].trim();
  const admin = execFileSync(bin, ['user', 'add', '--email', 'admin@stafet.dk', '--role', 'admin', '--db', db], { env, encoding: 'utf8' });
  const analyst = execFileSync(bin, ['user', 'add', '--email', 'analytiker@stafet.dk', '--role', 'analyst', '--db', db], { env, encoding: 'utf8' });
  const analystToken = analyst.match(/^token: (.+)$/m)[1].trim();
  let demoRelay = null;
  if (demo) {
    // Not execFileSync: on PostgreSQL the demo mails the SMTP sink, which runs in this process.
    const { stdout: text } = await execFileAsync(bin, ['demo', '--db', db, '--mail-dir', mailDir], { env, encoding: 'utf8' });
    demoRelay = Number(text.match(/^Demo relay (\d+)/m)[1]);
  }
  const child = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--db', db, '--mail-dir', mailDir], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${base}/api/auth/me`);
      if (res.status === 401) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (demoRelay) {
    // Analysts read the relays granted to them: the demo relay is.
    const me = await (await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${analystToken}` } })).json();
    const res = await fetch(`${base}/api/relays/${demoRelay}/analysts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${facilitatorToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: me.user.id }),
    });
    if (!res.ok) throw new Error(`granting the demo relay: ${res.status} ${await res.text()}`);
  }
  return {
    base,
    dir,
    mailDir,
    /** Runs the CLI on this server's database; returns what it printed. */
    cli: (...args) => execFileSync(bin, [...args, '--db', db], { env, encoding: 'utf8' }),
    demoRelay,
    admin: { email: 'admin@stafet.dk', password: admin.match(/^password: (.+)$/m)[1].trim() },
    facilitator: { email: 'facilitator@stafet.dk', password },
    facilitatorToken: out.match(/^token: (.+)$/m)[1].trim(),
    analyst: { email: 'analytiker@stafet.dk', password: analyst.match(/^password: (.+)$/m)[1].trim() },
    stop: async () => {
      await new Promise((ok) => {
        child.once('exit', ok);
        child.kill('SIGTERM');
      });
      await drop();
    },
  };
}

/** Every email in the outbox folder, parsed. */
export async function emails(mailDir) {
  let files = [];
  try { files = readdirSync(mailDir).filter((f) => f.endsWith('.eml')).sort(); } catch { return []; }
  return Promise.all(files.map(async (f) => {
    const m = await simpleParser(readFileSync(join(mailDir, f)));
    return { file: f, to: m.to ? m.to.value[0].address : '', subject: m.subject || '', text: m.text || '', html: m.html || '' };
  }));
}

/**
 * Waits for the latest email to `address` with a personal link (under `/p/`, or `kind`), and
 * returns the link.
 */
export async function linkFor(mailDir, address, timeoutMs = 15000, kind = 'p') {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const mine = (await emails(mailDir)).filter((e) => e.to === address);
    for (const e of mine.reverse()) {
      const m = e.text.match(new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]+`));
      if (m) return m[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email with a link to ${address}`);
}

/**
 * Starts a server (`startServer(options)`) and a browser before a file's tests, hands both to
 * `use`, and stops them after the tests, whichever of them started.
 */
export function serverAndBrowser(options, use) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(options);
    browser = await launch();
    use(server, browser);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A browser context that records every Content-Security-Policy violation and page error, so a
 * test can assert the pages run with no inline script and no blocked resource.
 */
export async function context(browser, options = {}) {
  const ctx = await browser.newContext(options);
  ctx.problems = [];
  ctx.on('page', (page) => watch(page, ctx.problems));
  return ctx;
}

function watch(page, problems) {
  // Failed API calls are printed, so a failing test shows what the page was told.
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url().includes('/api/') && !r.url().endsWith('/api/auth/me')) {
      console.log(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    }
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
}

export async function newPage(ctx) {
  const page = await ctx.newPage();
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (through the DevTools protocol, which the page's CSP does not
 * govern) and returns the serious and critical violations.
 */
export async function accessibility(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, `axe-${name}.json`), JSON.stringify(result.violations, null, 2));
  return bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Two-factor codes as an authenticator app computes them (RFC 6238: HMAC-SHA1, 30-second steps).

/** The current 30-second step. */
export const step = (ms = Date.now()) => Math.floor(ms / 30_000);

/** The six-digit code for the base32 `secret` at 30-second step `counter` (RFC 6238). */
export function totp(secret, counter = step()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...secret.replace(/=+$/, '')]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Waits for the step after `used`: a code is accepted once, so the next sign-in needs a new one. */
export async function nextStep(used) {
  while (step() <= used) await new Promise((r) => setTimeout(r, 250));
  return step();
}

/** Opens `url` (a page that asks for a staff sign-in) and signs in as `who`; the caller waits
 * for what should follow. */
export async function signIn(page, url, { email, password }) {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Adgangskode').fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
}
