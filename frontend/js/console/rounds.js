// The rounds part of the relay form. Start, count and length lay the rounds out; each can then
// be renamed, given a prompt and moved by hand. Times are typed in the relay's time zone.

import { h, replace } from '../dom.js';
import { zonedToDate, dateToZoned, validZone } from '../zones.js';
import { field } from '../forms.js';

const HOUR = 3600000;

/** Consecutive rounds of `hours` from `start` (a Date). */
function defaultRounds(start, count, hours) {
  return Array.from({ length: count }, (_, i) => ({
    name: `Dag ${i + 1}`,
    starts_at: new Date(start.getTime() + i * hours * HOUR).toISOString(),
    ends_at: new Date(start.getTime() + (i + 1) * hours * HOUR).toISOString(),
  }));
}

function nextMorning() {
  const d = new Date();
  d.setDate(d.getDate() + 7);
  return dateToZoned(d, 'Europe/Copenhagen').slice(0, 10) + 'T08:00';
}

function zoned(iso, tz) {
  return iso ? dateToZoned(new Date(iso), tz) : '';
}

function roundRow(i, round, tz) {
  const name = h('input', {
    id: `round-name-${i}`, value: round.name || `Dag ${i + 1}`, required: true,
  });
  const prompt = h('textarea', { id: `round-prompt-${i}`, rows: 2 });
  prompt.value = round.prompt || '';
  const time = (id, iso) => h('input', {
    id, type: 'datetime-local', value: zoned(iso, tz), required: true,
  });
  const start = time(`round-start-${i}`, round.starts_at);
  const end = time(`round-end-${i}`, round.ends_at);
  return h('div', { class: 'round-row', dataset: { index: i } },
    h('div', { class: 'row' },
      field(`Runde ${i + 1}: navn`, name),
      field('Begynder', start),
      field('Slutter', end)),
    field('Oplæg til runden (valgfrit)', prompt,
      'Fx et delemne for dagen; deltagerne ser det øverst.'));
}

/**
 * The rounds fieldset for `relay` (null for a new one), laid out again in the zone typed in
 * `zone`. `read(tz)` returns the rounds as the API takes them, read in `tz`; it throws when a
 * round's start or end is missing.
 */
export function roundsFieldset(relay, zone) {
  let tz = relay ? relay.timezone : 'Europe/Copenhagen';
  const firstStart = relay && relay.starts_at ? zoned(relay.starts_at, tz) : nextMorning();
  const start = h('input', {
    id: 'rounds-start', type: 'datetime-local', value: firstStart, required: true,
  });
  const count = h('input', {
    id: 'rounds-count', type: 'number', min: 1, max: 30, value: relay ? relay.rounds.length : 4,
  });
  const first = relay && relay.rounds.length ? relay.rounds[0] : null;
  const hours = h('input', {
    id: 'rounds-hours', type: 'number', min: 1, max: 720,
    value: first ? Math.round((new Date(first.ends_at) - new Date(first.starts_at)) / HOUR) : 24,
  });
  const layout = h('button', { type: 'button', class: 'secondary', text: 'Læg runderne ud' });
  const box = h('div', { id: 'rounds' });
  let rounds = relay ? relay.rounds : defaultRounds(zonedToDate(firstStart, tz), 4, 24);
  const draw = () => replace(box, rounds.map((r, i) => roundRow(i, r, tz)));
  const value = (id) => document.getElementById(id).value;
  const read = () => rounds.map((r, i) => ({
    name: value(`round-name-${i}`).trim(),
    starts_at: zonedToDate(value(`round-start-${i}`), tz).toISOString(),
    ends_at: zonedToDate(value(`round-end-${i}`), tz).toISOString(),
    prompt: value(`round-prompt-${i}`).trim() || null,
  }));
  layout.addEventListener('click', () => {
    if (!validZone(zone.value)) return;
    const kept = read();
    tz = zone.value;
    rounds = defaultRounds(zonedToDate(start.value, tz), Number(count.value) || 1,
      Number(hours.value) || 24)
      .map((r, i) => ({
        ...r,
        name: kept[i] ? kept[i].name : r.name,
        prompt: kept[i] ? kept[i].prompt : null,
      }));
    draw();
  });
  draw();
  const node = h('fieldset', {}, h('legend', { text: 'Runder' }),
    h('div', { class: 'row' },
      field('Første runde begynder', start),
      field('Antal runder', count),
      field('Timer pr. runde', hours)),
    h('p', {}, layout),
    box);
  return {
    node,
    read: (zoneNow) => {
      tz = zoneNow;
      return read();
    },
  };
}
