// Erasing one participant's personal data on their request: a dialog where the facilitator
// chooses whether their questions and answers stay under the pseudonym (the default) or go too.

import { api } from '../api.js';
import { h, toast } from '../dom.js';
import { errorBox } from '../forms.js';
import { busy } from '../calls.js';

function choice(value, label, checked) {
  const id = `erase-texts-${value}`;
  return h('div', { class: 'check' },
    h('input', { id, type: 'radio', name: 'erase-texts', value, checked }),
    h('label', { for: id, text: label }));
}

/** The "Slet persondata" button of participant `p`; `base` is their API path. */
export function eraseButton(base, p, redraw) {
  const open = h('button', {
    type: 'button', class: 'small danger', text: 'Slet persondata',
    'aria-label': `Slet persondata: ${p.name}`,
  });
  open.addEventListener('click', () => {
    const out = errorBox();
    const erase = h('button', { type: 'submit', class: 'danger', text: 'Slet nu' });
    const cancel = h('button', { type: 'button', class: 'secondary', text: 'Annullér' });
    const dialog = h('dialog', { class: 'card', 'aria-labelledby': 'erase-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'erase-title', text: `Slet persondata for ${p.name}` }),
        h('p', {
          text: 'Navn, email, titel og organisation slettes nu, linket holder op med at virke, '
            + `og ventende spørgsmål sendes videre. Personen hedder derefter ${p.pseudonym}. `
            + 'Det kan ikke fortrydes.',
        }),
        h('fieldset', {}, h('legend', { text: 'Spørgsmål og svar' }),
          choice('keep', `Behold dem under pseudonymet ${p.pseudonym}`, true),
          choice('remove', 'Slet dem også', false)),
        out,
        h('div', { class: 'actions' }, erase, cancel)));
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    dialog.querySelector('form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const texts = dialog.querySelector('input[name="erase-texts"]:checked').value;
      if (await busy(erase, () => api('POST', `${base}/erase`, { texts }), out)) {
        dialog.close();
        toast(`Persondata for ${p.pseudonym} er slettet.`);
        redraw();
      }
    });
    document.body.append(dialog);
    dialog.showModal();
  });
  return open;
}
