// Wall-clock times in a relay's time zone. A facilitator in Copenhagen types "8:00 on Monday"
// and means Copenhagen time, whatever zone their laptop is in; the API speaks UTC.

function offsetMinutes(date, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'),
    get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - date.getTime()) / 60000);
}

/** `YYYY-MM-DDTHH:MM` read as a wall-clock time in `timeZone` → a Date. */
export function zonedToDate(local, timeZone) {
  const [d, tm] = local.split('T');
  const [y, m, day] = d.split('-').map(Number);
  const [hh, mm] = (tm || '00:00').split(':').map(Number);
  const guess = Date.UTC(y, m - 1, day, hh, mm);
  // Two passes settle the offset on both sides of a daylight-saving change.
  let t = guess - offsetMinutes(new Date(guess), timeZone) * 60000;
  t = guess - offsetMinutes(new Date(t), timeZone) * 60000;
  return new Date(t);
}

/** A Date → `YYYY-MM-DDTHH:MM` as the wall clock shows it in `timeZone`. */
export function dateToZoned(date, timeZone) {
  const shifted = new Date(date.getTime() + offsetMinutes(date, timeZone) * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** Whether the browser knows `timeZone`. */
export function validZone(timeZone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
