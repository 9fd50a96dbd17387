// The relays an analyst may see, read once and shared by the screens that list them.

import { api } from '../api.js';

let relays = [];

/** The relays, read from the server when not read yet or when `fresh`. */
export async function relayList(fresh = false) {
  if (fresh || !relays.length) relays = await api('GET', '/api/relays');
  return relays;
}
