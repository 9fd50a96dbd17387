//! Stop-word lists. Each starts from the Snowball project's list for the language (BSD licence)
//! and adds the question words and auxiliaries that otherwise top every word table of a Q&A
//! relay, because nearly every question starts with "hvordan kan vi ...".

/// Danish stop words: Snowball's list followed by our additions.
pub static DANISH: &[&str] = &[
    // Snowball Danish.
    "og", "i", "jeg", "det", "at", "en", "den", "til", "er", "som", "på", "de", "med", "han", "af",
    "for", "ikke", "der", "var", "mig", "sig", "men", "et", "har", "om", "vi", "min", "havde",
    "ham", "hun", "nu", "over", "da", "fra", "du", "ud", "sin", "dem", "os", "op", "man", "hans",
    "hvor", "eller", "hvad", "skal", "selv", "her", "alle", "vil", "blev", "kunne", "ind", "når",
    "være", "dog", "noget", "ville", "jo", "deres", "efter", "ned", "skulle", "denne", "end",
    "dette", "mit", "også", "under", "have", "dig", "anden", "hende", "mine", "alt", "meget",
    "sit", "sine", "vor", "mod", "disse", "hvis", "din", "nogle", "hos", "blive", "mange", "ad",
    "bliver", "hendes", "været", "thi", "jer", "sådan",
    // Additions: question words, modal verbs and frequent function words.
    "kan", "hvordan", "hvorfor", "hvornår", "hvem", "hvilke", "hvilken", "hvilket", "hvorledes",
    "hvorvidt", "jeres", "vores", "dine", "dit", "mere", "mest", "få", "får", "fik", "fået",
    "bare", "helt", "både", "kun", "samt", "hver", "hvert", "andre", "andet", "nogen", "ingen",
    "intet", "dens", "dets", "ens", "lige", "måske", "ja", "nej", "ellers", "derfor", "fordi",
    "mellem", "uden", "gennem", "igennem", "blandt", "omkring", "via", "samme", "så", "nok",
    "må", "måtte", "burde", "bør", "kunnet", "skullet", "villet", "vore", "sine", "dermed",
    "hermed", "herunder", "heller", "endnu", "allerede", "altid", "aldrig", "ofte", "mens",
    "idet", "hvorimod", "eks", "fx", "f.eks", "osv", "bl.a", "dvs", "jf", "ca", "pga", "mht",
    "ift", "vha", "ved", "sammen", "egen", "eget", "egne", "siden", "blandt", "stadig", "hele",
    "her", "der", "dér", "hen", "frem", "tilbage", "videre", "vel", "godt", "gerne", "man",
];

/// English stop words: Snowball's list followed by our additions.
pub static ENGLISH: &[&str] = &[
    // Snowball English.
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who",
    "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be", "been",
    "being", "have", "has", "had", "having", "do", "does", "did", "doing", "would", "should",
    "could", "ought", "i'm", "you're", "he's", "she's", "it's", "we're", "they're", "i've",
    "you've", "we've", "they've", "i'd", "you'd", "he'd", "she'd", "we'd", "they'd", "i'll",
    "you'll", "he'll", "she'll", "we'll", "they'll", "isn't", "aren't", "wasn't", "weren't",
    "hasn't", "haven't", "hadn't", "doesn't", "don't", "didn't", "won't", "wouldn't", "shan't",
    "shouldn't", "can't", "cannot", "couldn't", "mustn't", "let's", "that's", "who's", "what's",
    "here's", "there's", "when's", "where's", "why's", "how's", "a", "an", "the", "and", "but",
    "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
    "against", "between", "into", "through", "during", "before", "after", "above", "below",
    "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further",
    "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each",
    "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same",
    "so", "than", "too", "very",
    // Additions: modal verbs and frequent function words.
    "can", "will", "just", "may", "might", "must", "shall", "also", "us", "get", "got", "much",
    "many", "e.g", "i.e", "etc", "via", "within", "without", "among", "yet", "still", "whether",
    "else", "ever", "even", "really", "whose",
];
