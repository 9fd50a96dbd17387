// A minimal SMTP server that stores every message it accepts as an .eml file in a folder, so
// the pages' tests read a PostgreSQL-backed server's mail (which goes out by SMTP only) the way
// they read the .eml folder of a SQLite-backed one. Loopback only, no TLS, no login.

import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Starts the sink on a free loopback port; resolves to `{ port, close() }`. */
export function startSmtpSink(mailDir) {
  mkdirSync(mailDir, { recursive: true });
  let stored = 0;
  const server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 sink.local ESMTP');
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          // Undo the dot-stuffing of lines that began with a dot.
          const message = buffer.slice(0, end + 2).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          stored += 1;
          // Names sort in arrival order, as the folder transport's do.
          const name = `${String(Date.now()).padStart(15, '0')}-${String(stored).padStart(6, '0')}.eml`;
          writeFileSync(join(mailDir, name), Buffer.from(message, 'latin1'));
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-sink.local\r\n250-8BITMIME\r\n250 SMTPUTF8');
        else if (verb === 'DATA') { inData = true; reply('354 go ahead'); }
        else if (verb === 'QUIT') { reply('221 bye'); socket.end(); return; }
        else reply('250 OK');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((ok, fail) => {
    server.listen(0, '127.0.0.1', () => ok({
      port: server.address().port,
      close: () => new Promise((done) => server.close(() => done())),
    }));
    server.on('error', fail);
  });
}
