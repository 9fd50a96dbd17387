// The participant page's words, in the relay's language (Danish or English).

const STRINGS = {
  da: {
    skip: 'Spring til indhold',
    loading: 'Indlæser …',
    live: 'Live',
    reconnecting: 'Genopretter forbindelsen …',
    purpose: 'Formål',
    round: 'Runde',
    roundOf: (n, total) => `Runde ${n} af ${total}`,
    ends: 'Slutter',
    inbox: 'Spørgsmål til dig',
    inboxEmpty: 'Du har ingen spørgsmål at besvare lige nu. '
      + 'Når en kollega sender dig et, dukker det op her.',
    fromGroup: (g) => `Fra en kollega i gruppen ${g}`,
    fromColleague: 'Fra en kollega',
    from: (n) => `Fra ${n}`,
    received: 'Modtaget',
    yourAnswer: 'Dit svar',
    answerLabel: 'Skriv dit svar',
    answerSend: 'Send svar',
    answered: 'Besvaret',
    withdrawn: 'Trukket tilbage',
    expired: 'Udløbet',
    ask: 'Stil et spørgsmål',
    batons: (n) => (n === 1
      ? 'Du har 1 stafet – ret til at stille ét spørgsmål.'
      : `Du har ${n} stafetter – ret til at stille ${n} spørgsmål.`),
    noBatons: 'Du har ingen stafet lige nu. '
      + 'Besvar et spørgsmål, så får du en ny – eller vent til næste runde.',
    askLabel: 'Dit spørgsmål',
    askHint: 'Spørgsmålet sendes anonymt. Skriv det, du gerne vil vide af en kollega.',
    autoRecipient: 'Stafetten finder en kollega til dig.',
    recipientLabel: 'Hvem skal have spørgsmålet?',
    recipientChoose: 'Vælg en kollega',
    noRecipients: 'Lige nu kan ingen tage imod flere spørgsmål. Prøv igen senere.',
    askSend: 'Send spørgsmålet',
    sentTo: (n) => `Dit spørgsmål er sendt til ${n}.`,
    answerSent: 'Tak for dit svar. Du har fået en ny stafet.',
    answerSentNoBaton: 'Tak for dit svar.',
    asked: 'Dine spørgsmål',
    askedEmpty: 'Du har ikke stillet nogen spørgsmål endnu.',
    to: (n) => `Til ${n}`,
    waiting: 'Venter på svar',
    answerFrom: 'Svar',
    chars: (n, max) => `${n} / ${max} tegn`,
    tooShort: (min) => `Skriv mindst ${min} tegn.`,
    notOpenTitle: 'Stafetten er ikke begyndt endnu',
    notOpen: (t) => `Stafetten begynder ${t}. Du får en email, når den åbner.`,
    closedTitle: 'Stafetten er slut – tak for din deltagelse',
    closed: 'Tak for dine spørgsmål og svar. Herunder kan du læse det, du var med til.',
    sharedOutput: 'Arrangøren deler resultatet af stafetten med deltagerne.',
    readOutput: 'Læs resultatet',
    noSessionTitle: 'Åbn stafetten fra din email',
    noSession: 'Vi kunne ikke genkende dig. Brug linket i den seneste email fra stafetten.',
    suspendedTitle: 'Adgang sat på pause',
    expiredTitle: 'Stafetten er slut',
    error: 'Noget gik galt. Prøv igen.',
    network: 'Ingen forbindelse til serveren. Prøv igen om lidt.',
    draftKept: 'Din kladde er gemt på denne enhed.',
  },
  en: {
    skip: 'Skip to content',
    loading: 'Loading …',
    live: 'Live',
    reconnecting: 'Reconnecting …',
    purpose: 'Purpose',
    round: 'Round',
    roundOf: (n, total) => `Round ${n} of ${total}`,
    ends: 'Ends',
    inbox: 'Questions for you',
    inboxEmpty: 'You have no questions to answer right now. '
      + 'When a colleague sends you one, it appears here.',
    fromGroup: (g) => `From a colleague in the group ${g}`,
    fromColleague: 'From a colleague',
    from: (n) => `From ${n}`,
    received: 'Received',
    yourAnswer: 'Your answer',
    answerLabel: 'Write your answer',
    answerSend: 'Send answer',
    answered: 'Answered',
    withdrawn: 'Withdrawn',
    expired: 'Expired',
    ask: 'Ask a question',
    batons: (n) => (n === 1
      ? 'You hold 1 baton – the right to ask one question.'
      : `You hold ${n} batons – the right to ask ${n} questions.`),
    noBatons: 'You hold no baton right now. '
      + 'Answer a question to get one – or wait for the next round.',
    askLabel: 'Your question',
    askHint: 'Your question travels anonymously. '
      + 'Ask what you would like to know from a colleague.',
    autoRecipient: 'The relay finds a colleague for you.',
    recipientLabel: 'Who should get the question?',
    recipientChoose: 'Choose a colleague',
    noRecipients: 'Nobody can take more questions right now. Try again later.',
    askSend: 'Send the question',
    sentTo: (n) => `Your question was sent to ${n}.`,
    answerSent: 'Thank you for your answer. You have a new baton.',
    answerSentNoBaton: 'Thank you for your answer.',
    asked: 'Your questions',
    askedEmpty: 'You have not asked any questions yet.',
    to: (n) => `To ${n}`,
    waiting: 'Waiting for an answer',
    answerFrom: 'Answer',
    chars: (n, max) => `${n} / ${max} characters`,
    tooShort: (min) => `Write at least ${min} characters.`,
    notOpenTitle: 'The relay has not started yet',
    notOpen: (t) => `The relay starts ${t}. You will get an email when it opens.`,
    closedTitle: 'The relay has ended – thank you for taking part',
    closed: 'Thank you for your questions and answers. '
      + 'Below you can read what you took part in.',
    sharedOutput: 'The organiser shares the relay’s output with the participants.',
    readOutput: 'Read the output',
    noSessionTitle: 'Open the relay from your email',
    noSession: 'We could not recognise you. Use the link in the latest email from the relay.',
    suspendedTitle: 'Access paused',
    expiredTitle: 'The relay has ended',
    error: 'Something went wrong. Please try again.',
    network: 'No connection to the server. Try again in a moment.',
    draftKept: 'Your draft is kept on this device.',
  },
};

/** The words in the page's language; `setLanguage` switches them for every importer. */
export let t = STRINGS.da;

/** Switches the page to `lang` (English for any language but Danish). */
export function setLanguage(lang) {
  t = STRINGS[lang] || STRINGS.en;
  document.documentElement.lang = lang === 'da' ? 'da' : 'en';
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t.skip;
}
