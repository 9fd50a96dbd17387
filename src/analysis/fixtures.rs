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

/// (topic index, question).
pub const QUESTIONS: &[(usize, &str)] = &[
    // 0: borgerinddragelse og værdi for borgerne
    (0, "Hvordan inddrager du borgerne, før I beslutter at ændre et tilbud?"),
    (0, "Hvad gør I for at finde ud af, hvad der faktisk skaber værdi for borgeren?"),
    (0, "Hvornår har du sidst ændret en beslutning, fordi en borger sagde fra?"),
    (0, "Hvordan sikrer vi, at de svageste borgere også bliver hørt i borgerinddragelsen?"),
    (0, "Kan borgerne mærke forskel på god og dårlig ledelse i jeres institution?"),
    (0, "Hvordan måler I den værdi, borgerne oplever, og ikke kun det, vi leverer?"),
    (0, "Hvilke erfaringer har du med borgerpaneler eller dialogmøder med brugerne?"),
    (0, "Hvordan balancerer du borgernes ønsker med de faglige vurderinger?"),
    (0, "Hvad betyder det for dig at sætte borgeren i centrum i hverdagen?"),
    (0, "Hvordan får vi pårørende og brugere med i udviklingen af vores tilbud?"),
    (0, "Hvordan skaber vi mere værdi for borgerne med de samme ressourcer?"),
    (0, "Tør vi lade borgerne være med til at prioritere, hvad pengene bruges på?"),
    (0, "Hvilken rolle spiller brugernes tilfredshed, når du vurderer kvaliteten?"),
    (0, "Hvordan bliver borgerens stemme hørt, når vi tilrettelægger indsatsen?"),
    (0, "Hvad har du lært af at lytte til borgere, der klager over jeres service?"),
    (0, "Hvordan oplever borgerne samskabelse, og er det mere end et modeord?"),
    (0, "Hvordan inddrager I brugerne, så det ikke bliver pseudo-inddragelse?"),
    (0, "Hvordan kan vi gøre det lettere for borgeren at forstå vores afgørelser?"),
    // 1: styring, bureaukrati og rammevilkår
    (1, "Hvilke regler og krav om dokumentation ville du fjerne, hvis du kunne?"),
    (1, "Hvordan får du rum til at lede, når styringen oppefra bliver ved at vokse?"),
    (1, "Er der for meget kontrol og for lidt tillid i den offentlige styring?"),
    (1, "Hvordan håndterer du modstridende krav fra politikere og forvaltning?"),
    (1, "Hvad gør mål- og resultatstyringen ved din ledelse af kerneopgaven?"),
    (1, "Hvordan kan vi skære ned på bureaukratiet uden at miste overblikket?"),
    (1, "Hvor meget af din tid går med afrapportering og administration?"),
    (1, "Hvordan oversætter du politiske beslutninger til styring, der giver mening lokalt?"),
    (1, "Hvilke rammevilkår fra ministeriet gør det sværest at lede i praksis?"),
    (1, "Kan tillidsbaseret styring fungere, når budgettet skal overholdes?"),
    (1, "Hvordan siger du fra over for nye krav og procedurer fra forvaltningen?"),
    (1, "Er dokumentationskravene blevet et mål i sig selv?"),
    (1, "Hvordan påvirker de årlige budgetforhandlinger din mulighed for at planlægge?"),
    (1, "Hvilken frihed har du reelt til at prioritere inden for budgetrammen?"),
    (1, "Hvordan gør vi op med regler, som ingen længere kan huske formålet med?"),
    (1, "Hvad ville ske, hvis vi afskaffede halvdelen af de interne procedurer?"),
    (1, "Hvordan forholder du dig til detailstyring fra politikerne?"),
    (1, "Hvordan skaber forvaltningen bedre rammevilkår for ledelse oppefra?"),
    // 2: rekruttering, arbejdsmiljø og medarbejdere
    (2, "Hvordan tiltrækker I dygtige medarbejdere, når der er mangel på arbejdskraft?"),
    (2, "Hvad gør du for at fastholde de erfarne medarbejdere?"),
    (2, "Hvordan passer du på dit eget arbejdsmiljø som leder?"),
    (2, "Hvordan håndterer du et højt sygefravær i en presset afdeling?"),
    (2, "Hvordan rekrutterer vi nye sygeplejersker til nattevagterne?"),
    (2, "Hvad gør I for at nyuddannede trives i deres første år?"),
    (2, "Hvordan skaber du et psykisk arbejdsmiljø, hvor medarbejderne tør sige fra?"),
    (2, "Hvilken betydning har løn for rekrutteringen i jeres område?"),
    (2, "Hvordan udvikler du dine medarbejderes kompetencer, når der er travlt?"),
    (2, "Hvordan fastholder vi unge pædagoger i faget?"),
    (2, "Hvordan forebygger I stress blandt medarbejderne?"),
    (2, "Hvad gør du, når trivslen falder i en personalegruppe?"),
    (2, "Hvordan taler du med medarbejderne om et stort arbejdspres?"),
    (2, "Hvordan får vi flere til at søge ledige stillinger i ældreplejen?"),
    (2, "Hvilken rolle spiller arbejdsmiljøet, når dygtige kolleger siger op?"),
    (2, "Hvordan bruger du medarbejderudviklingssamtalen til at fastholde folk?"),
    (2, "Hvordan sikrer du god trivsel og et sundt arbejdsmiljø i vagtplanen?"),
    (2, "Hvordan onboarder I nye medarbejdere, så de bliver?"),
    // 3: digitalisering og ny teknologi
    (3, "Hvordan bruger I kunstig intelligens i sagsbehandlingen?"),
    (3, "Hvad er dine erfaringer med velfærdsteknologi i ældreplejen?"),
    (3, "Hvordan sikrer du, at digitaliseringen ikke efterlader de ældre borgere?"),
    (3, "Hvilke digitale løsninger har gjort den største forskel for jeres arbejde?"),
    (3, "Hvordan ruster du medarbejderne til ny teknologi?"),
    (3, "Hvordan håndterer I datasikkerhed og persondata i de nye systemer?"),
    (3, "Hvordan undgår vi, at it-systemerne styrer arbejdsgangene?"),
    (3, "Er der teknologi, I har indført og senere opgivet igen?"),
    (3, "Hvordan leder du en digital omstilling, når it-projektet er forsinket?"),
    (3, "Hvad kan robotter og automatisering overtage i administrationen?"),
    (3, "Hvordan vurderer du, om en ny digital løsning er pengene værd?"),
    (3, "Hvordan bruger I data til at træffe bedre beslutninger?"),
    (3, "Hvordan får vi fagsystemerne til at tale sammen?"),
    (3, "Hvilke etiske spørgsmål rejser brugen af algoritmer i jeres forvaltning?"),
    (3, "Hvordan skaber vi digital dannelse blandt medarbejderne?"),
    (3, "Hvordan kan skærmbesøg og telemedicin supplere de fysiske besøg?"),
    (3, "Hvordan tester I ny teknologi, før den rulles ud?"),
    (3, "Hvad skal der til, før kunstig intelligens bliver en hjælp og ikke en byrde?"),
    // 4: samarbejde på tværs af sektorer
    (4, "Hvordan samarbejder I med regionen om patienter, der udskrives fra sygehuset?"),
    (4, "Hvad skal der til for at bryde siloerne mellem sektorerne?"),
    (4, "Hvordan skaber du fælles mål med ledere fra andre forvaltninger?"),
    (4, "Hvordan får vi kommune og region til at tage fælles ansvar for borgerforløbet?"),
    (4, "Hvilke erfaringer har du med tværsektorielt samarbejde om psykiatrien?"),
    (4, "Hvordan samarbejder skolen og socialforvaltningen om udsatte børn?"),
    (4, "Hvordan deler I viden på tværs af institutioner og sektorer?"),
    (4, "Hvad står i vejen for et bedre samarbejde mellem almen praksis og kommunen?"),
    (4, "Hvordan leder du et samarbejde, hvor ingen har det samlede ansvar?"),
    (4, "Hvordan sikrer vi gode overgange mellem sygehus, kommune og egen læge?"),
    (4, "Hvordan arbejder I sammen med civilsamfundet og frivillige foreninger?"),
    (4, "Hvad kan vi lære af private virksomheder i samarbejdet med det offentlige?"),
    (4, "Hvordan undgår vi, at økonomien i hver sektor spænder ben for helheden?"),
    (4, "Hvordan opbygger du tillid til dine samarbejdspartnere i andre sektorer?"),
    (4, "Hvordan koordinerer jobcenter, sundhed og uddannelse indsatsen på tværs?"),
    (4, "Hvordan organiserer I samarbejdet med regionen i de nære sundhedstilbud?"),
    (4, "Hvilke fælles ledelsesfora på tværs af sektorer har virket for jer?"),
    (4, "Hvordan får vi tværgående samarbejde til at overleve en omorganisering?"),
];

/// The questions' texts, in order.
pub fn texts() -> Vec<&'static str> {
    QUESTIONS.iter().map(|&(_, q)| q).collect()
}

/// The questions' topics, in order.
pub fn topics() -> Vec<usize> {
    QUESTIONS.iter().map(|&(t, _)| t).collect()
}
