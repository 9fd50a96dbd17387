//! A realistic Danish test relay: questions from public leaders to each other in the style of the
//! Ledelseskommissionen material in shared/context, in five topics. Written by hand, not
//! generated from templates, so the words vary the way real questions do.

/// Topic of each question in [`QUESTIONS`], by index.
pub const TOPICS: [&str; 5] = [
    "borgerinddragelse og værdi for borgerne",
    "styring, bureaukrati og rammevilkår",
    "rekruttering, arbejdsmiljø og medarbejdere",
    "digitalisering og ny teknologi",
    "samarbejde på tværs af sektorer",
];

/// (topic index, question). Like real relay questions, many give a sentence of context before
/// asking.
pub const QUESTIONS: &[(usize, &str)] = &[
    // 0: borgerinddragelse og værdi for borgerne
    (
        0,
        "Hvordan inddrager du borgerne, før I beslutter at ændre et tilbud til borgerne?",
    ),
    (
        0,
        "Vi taler meget om værdi for borgeren. Hvad gør I for at finde ud af, hvad der faktisk skaber værdi for borgerne?",
    ),
    (
        0,
        "Hvornår har du sidst ændret en beslutning, fordi en borger sagde fra?",
    ),
    (
        0,
        "Hvordan sikrer vi, at de svageste borgere også bliver hørt i borgerinddragelsen?",
    ),
    (
        0,
        "Kan borgerne mærke forskel på god og dårlig ledelse i jeres tilbud?",
    ),
    (
        0,
        "Hvordan måler I den værdi, borgerne oplever, og ikke kun det, vi leverer til borgerne?",
    ),
    (
        0,
        "Hvilke erfaringer har du med borgerpaneler eller dialogmøder, hvor borgere og brugere inddrages?",
    ),
    (
        0,
        "Hvordan balancerer du borgernes ønsker med de faglige vurderinger?",
    ),
    (
        0,
        "Hvad betyder det for dig at sætte borgeren i centrum i hverdagen?",
    ),
    (
        0,
        "Hvordan får vi pårørende og brugere inddraget i udviklingen af vores tilbud?",
    ),
    (
        0,
        "Hvordan skaber vi mere værdi for borgerne med de samme ressourcer?",
    ),
    (
        0,
        "Tør vi lade borgerne være med til at prioritere, hvad pengene bruges på i deres lokalområde?",
    ),
    (
        0,
        "Hvilken rolle spiller brugernes og borgernes tilfredshed, når du vurderer kvaliteten?",
    ),
    (
        0,
        "Hvordan bliver borgerens stemme hørt, når vi tilrettelægger indsatsen for borgeren?",
    ),
    (
        0,
        "Hvad har du lært af at lytte til borgere, der klager over jeres service?",
    ),
    (
        0,
        "Alle taler om samskabelse med borgerne. Hvordan oplever borgerne det, og er det mere end et modeord?",
    ),
    (
        0,
        "Hvordan inddrager I brugerne, så borgerinddragelse ikke bliver pseudo-inddragelse?",
    ),
    (
        0,
        "Hvordan kan vi gøre det lettere for borgeren at forstå vores afgørelser og skabe værdi for borgeren?",
    ),
    // 1: styring, bureaukrati og rammevilkår
    (
        1,
        "Hvilke regler og krav om dokumentation ville du fjerne, hvis du kunne?",
    ),
    (
        1,
        "Hvordan får du rum til at lede, når styringen oppefra bliver ved at vokse med nye krav?",
    ),
    (
        1,
        "Er der for meget kontrol og for lidt tillid i den offentlige styring?",
    ),
    (
        1,
        "Hvordan håndterer du modstridende krav fra politikere og forvaltning?",
    ),
    (
        1,
        "Hvad gør mål- og resultatstyringen ved din ledelse af kerneopgaven?",
    ),
    (
        1,
        "Bureaukratiet vokser hvert år. Hvordan kan vi skære ned på bureaukrati, regler og kontrol uden at miste overblikket?",
    ),
    (
        1,
        "Hvor meget af din tid går med afrapportering, dokumentation og administration?",
    ),
    (
        1,
        "Hvordan oversætter du politiske beslutninger til styring, der giver mening lokalt?",
    ),
    (
        1,
        "Hvilke rammevilkår fra ministeriet og forvaltningen gør det sværest at lede i praksis?",
    ),
    (
        1,
        "Kan tillidsbaseret styring fungere, når budgettet skal overholdes?",
    ),
    (
        1,
        "Hvordan siger du fra over for nye krav, regler og procedurer fra forvaltningen?",
    ),
    (
        1,
        "Er dokumentationskravene blevet et mål i sig selv, og hvem har egentlig brug for al den dokumentation?",
    ),
    (
        1,
        "Hvordan påvirker de årlige budgetforhandlinger og budgetkrav din mulighed for at planlægge?",
    ),
    (
        1,
        "Hvilken frihed har du reelt til at prioritere inden for budgettet og de politiske mål?",
    ),
    (
        1,
        "Hvordan gør vi op med regler og krav, som ingen længere kan huske formålet med?",
    ),
    (
        1,
        "Hvad ville ske, hvis vi afskaffede halvdelen af de interne procedurer og regler?",
    ),
    (
        1,
        "Hvordan forholder du dig til detailstyring og kontrol fra politikerne?",
    ),
    (
        1,
        "Hvordan skaber forvaltningen bedre rammevilkår for ledelse med færre krav oppefra?",
    ),
    // 2: rekruttering, arbejdsmiljø og medarbejdere
    (
        2,
        "Der er mangel på arbejdskraft. Hvordan tiltrækker og rekrutterer I dygtige medarbejdere?",
    ),
    (2, "Hvad gør du for at fastholde de erfarne medarbejdere?"),
    (
        2,
        "Hvordan passer du på dit eget arbejdsmiljø og din trivsel som leder?",
    ),
    (
        2,
        "Hvordan håndterer du et højt sygefravær blandt medarbejderne i en presset afdeling?",
    ),
    (
        2,
        "Hvordan rekrutterer vi nye sygeplejersker til nattevagterne?",
    ),
    (
        2,
        "Hvad gør I for at nyuddannede medarbejdere trives i deres første år?",
    ),
    (
        2,
        "Hvordan skaber du et psykisk arbejdsmiljø, hvor medarbejderne tør sige fra?",
    ),
    (
        2,
        "Hvilken betydning har løn for rekrutteringen og fastholdelsen af medarbejdere i jeres område?",
    ),
    (
        2,
        "Hvordan udvikler du dine medarbejderes kompetencer, når der er travlt?",
    ),
    (
        2,
        "Hvordan fastholder vi unge pædagoger i faget, når arbejdsmiljøet er presset?",
    ),
    (
        2,
        "Hvordan forebygger I stress og dårlig trivsel blandt medarbejderne?",
    ),
    (2, "Hvad gør du, når trivslen falder i en personalegruppe?"),
    (
        2,
        "Hvordan taler du med medarbejderne om et stort arbejdspres og deres arbejdsmiljø?",
    ),
    (
        2,
        "Hvordan får vi flere til at søge ledige stillinger, så rekrutteringen lykkes i ældreplejen?",
    ),
    (
        2,
        "Hvilken rolle spiller arbejdsmiljøet, når dygtige medarbejdere siger op?",
    ),
    (
        2,
        "Hvordan bruger du medarbejderudviklingssamtalen til at fastholde medarbejdere?",
    ),
    (
        2,
        "Hvordan sikrer du god trivsel og et sundt arbejdsmiljø for medarbejderne i vagtplanen?",
    ),
    (
        2,
        "Hvordan modtager I nye medarbejdere, så de trives og bliver?",
    ),
    // 3: digitalisering og ny teknologi
    (
        3,
        "Hvordan bruger I kunstig intelligens og ny teknologi i sagsbehandlingen?",
    ),
    (
        3,
        "Hvad er dine erfaringer med velfærdsteknologi og digitale hjælpemidler i ældreplejen?",
    ),
    (
        3,
        "Hvordan sikrer du, at digitaliseringen ikke efterlader de ældre borgere?",
    ),
    (
        3,
        "Hvilke digitale løsninger har gjort den største forskel for jeres arbejde?",
    ),
    (
        3,
        "Hvordan ruster du medarbejderne til ny teknologi og digitale arbejdsgange?",
    ),
    (
        3,
        "Hvordan håndterer I datasikkerhed og persondata i de nye it-systemer?",
    ),
    (
        3,
        "Hvordan undgår vi, at it-systemerne og teknologien styrer arbejdsgangene?",
    ),
    (3, "Er der teknologi, I har indført og senere opgivet igen?"),
    (
        3,
        "Hvordan leder du en digital omstilling, når it-projektet er forsinket?",
    ),
    (
        3,
        "Hvad kan robotter, automatisering og kunstig intelligens overtage i administrationen?",
    ),
    (
        3,
        "Hvordan vurderer du, om en ny digital løsning eller teknologi er pengene værd?",
    ),
    (
        3,
        "Vi har masser af data. Hvordan bruger I data og digitale værktøjer til at træffe bedre beslutninger?",
    ),
    (
        3,
        "Hvordan får vi de digitale fagsystemer og it-systemer til at tale sammen?",
    ),
    (
        3,
        "Hvilke etiske spørgsmål rejser brugen af algoritmer, data og kunstig intelligens i jeres forvaltning?",
    ),
    (
        3,
        "Hvordan skaber vi digital dannelse og digitale kompetencer?",
    ),
    (
        3,
        "Hvordan kan skærmbesøg, telemedicin og anden teknologi supplere de fysiske besøg?",
    ),
    (
        3,
        "Hvordan tester I ny teknologi og digitale løsninger, før de rulles ud?",
    ),
    (
        3,
        "Hvad skal der til, før kunstig intelligens og digitalisering bliver en hjælp og ikke en byrde?",
    ),
    // 4: samarbejde på tværs af sektorer
    (
        4,
        "Hvordan samarbejder I med regionen om patienter, der udskrives fra sygehuset?",
    ),
    (
        4,
        "Hvad skal der til for at bryde siloerne og samarbejde på tværs af sektorerne?",
    ),
    (
        4,
        "Hvordan skaber du fælles mål og samarbejde med ledere fra andre forvaltninger og sektorer?",
    ),
    (
        4,
        "Hvordan får vi kommune og region til at tage fælles ansvar for borgerforløbet på tværs?",
    ),
    (
        4,
        "Hvilke erfaringer har du med tværsektorielt samarbejde om psykiatrien?",
    ),
    (
        4,
        "Hvordan samarbejder skolen og socialforvaltningen om udsatte børn?",
    ),
    (
        4,
        "Hvordan deler I viden og samarbejder på tværs af institutioner og sektorer?",
    ),
    (
        4,
        "Hvad står i vejen for et bedre samarbejde mellem almen praksis, region og kommunen?",
    ),
    (
        4,
        "Hvordan leder du et samarbejde på tværs, hvor ingen sektor har det samlede ansvar?",
    ),
    (
        4,
        "Hvordan sikrer vi gode overgange og samarbejde mellem sygehus, kommune og egen læge?",
    ),
    (
        4,
        "Hvordan arbejder I sammen med civilsamfundet og frivillige foreninger på tværs af sektorer?",
    ),
    (
        4,
        "Hvad kan den offentlige sektor lære af private virksomheder i samarbejdet på tværs af sektorerne?",
    ),
    (
        4,
        "Hvordan undgår vi, at økonomien i hver sektor spænder ben for samarbejdet og helheden?",
    ),
    (
        4,
        "Hvordan opbygger du tillid til dine samarbejdspartnere i andre sektorer?",
    ),
    (
        4,
        "Hvordan koordinerer jobcenter, sundhed og uddannelse indsatsen og samarbejdet på tværs?",
    ),
    (
        4,
        "Hvordan organiserer I samarbejdet med regionen og kommunerne om de nære sundhedstilbud?",
    ),
    (
        4,
        "Hvilke fælles ledelsesfora på tværs af sektorer har virket for jeres samarbejde?",
    ),
    (
        4,
        "Hvordan får vi samarbejdet på tværs af sektorerne til at overleve en omorganisering?",
    ),
];

/// The questions' texts, in order.
pub fn texts() -> Vec<&'static str> {
    QUESTIONS.iter().map(|&(_, q)| q).collect()
}

/// The questions' topics, in order.
pub fn topics() -> Vec<usize> {
    QUESTIONS.iter().map(|&(t, _)| t).collect()
}
