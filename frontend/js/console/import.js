// Importing participants from CSV into a relay, with the last import's report kept on screen.

import { api } from '../api.js';
import { h } from '../dom.js';
import { errorBox, field } from '../forms.js';
import { busy } from '../calls.js';

// The latest import's report, shown above the refreshed table while that relay is on screen.
let lastImport = null;

const EXAMPLE = 'name,email,group,title,organisation\n'
  + 'Anne Jensen,anne@kommune.dk,Kommune,Direktør,Aarhus Kommune';

function report(res) {
  const { created, updated, rejected } = res;
  return [
    h('p', { text: `${created} oprettet, ${updated} opdateret, ${rejected.length} afvist.` }),
    rejected.length
      ? h('ul', { class: 'rejected' },
        rejected.map((r) => h('li', { text: `Linje ${r.line}: ${r.reason}` })))
      : null,
  ];
}

/** The import form for `relay`; `redraw` draws the participants again after an import. */
export function importCard(relay, redraw) {
  const csv = h('textarea', { id: 'import-csv', rows: 6, spellcheck: 'false' });
  csv.placeholder = EXAMPLE;
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv' });
  file.addEventListener('change', async () => {
    if (file.files[0]) csv.value = await file.files[0].text();
  });
  const out = errorBox();
  const reportBox = h('div', { id: 'import-report', 'aria-live': 'polite', tabindex: '-1' });
  if (lastImport && lastImport.relayId === relay.id) {
    reportBox.append(...report(lastImport.report).filter(Boolean));
    // The rejected lines stay in the box, to be fixed and sent again.
    if (lastImport.report.rejected.length) csv.value = lastImport.text;
  }
  const go = h('button', { type: 'submit', text: 'Importér' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title', text: 'Importér deltagere' }),
    h('p', {
      class: 'hint',
      text: 'CSV med overskriften name,email,group,title,organisation. Kendte emails opdateres; '
        + 'fejlbehæftede linjer vises nedenfor, de gode gemmes.',
    }),
    field('Indsæt CSV', csv),
    field('… eller vælg en fil', file),
    out,
    h('div', { class: 'actions' }, go),
    reportBox);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!csv.value.trim()) {
      out.textContent = 'Indsæt CSV eller vælg en fil.';
      out.hidden = false;
      return;
    }
    const text = csv.value;
    const res = await busy(go, () => api('POST', `/api/relays/${relay.id}/participants`, text,
      { contentType: 'text/csv' }), out);
    if (!res) return;
    lastImport = { relayId: relay.id, report: res, text };
    await redraw();
    const again = document.getElementById('import-report');
    if (again) again.focus();
  });
  return form;
}
