//! Tests of the safety module: categories per language, matching rules,
//! allow-list, additions, lexicon folders, robustness.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::*;

fn checker() -> &'static SafetyChecker {
    SafetyChecker::builtin()
}

fn categories(text: &str) -> Vec<Category> {
    checker()
        .scan(text)
        .into_iter()
        .map(|f| f.category)
        .collect()
}

#[track_caller]
fn assert_flags(category: Category, texts: &[&str]) {
    for text in texts {
        let found = categories(text);
        assert!(
            found.contains(&category),
            "{category} expected in {text:?}, found {found:?}"
        );
    }
}

#[track_caller]
fn assert_clean(texts: &[&str]) {
    for text in texts {
        let flags = checker().scan(text);
        assert!(
            flags.is_empty(),
            "{text:?} should be clean, found {flags:?}"
        );
    }
}

// --- One test per category, both languages -------------------------------

#[test]
fn self_harm_fr() {
    assert_flags(
        Category::SelfHarm,
        &[
            "Je veux mourir, je n'en peux plus",
            "j'ai plus envie de vivre depuis des semaines",
            "parfois j'ai envie d'en finir",
            "je vais me foutre en l’air ce soir",
            "je pense à me tuer",
            "je vais me suicider",
            "je me scarifie depuis l'été",
            "j'ai envie de me couper les veines",
            "combien de doliprane pour mourir ?",
            "tout le monde serait mieux sans moi",
            "je suis suicidaire",
            "jai envie den finir",
            "ce soir je me tue, c'est décidé",
            "je me tue demain matin avant que les autres se lèvent",
            "l'idée de me tuer est la seule qui me calme",
            "j'ai essayé de me tuer à 16 ans",
            "je pense vraiment à en finir",
        ],
    );
}

#[test]
fn self_harm_en() {
    assert_flags(
        Category::SelfHarm,
        &[
            "honestly I want to kill myself",
            "i just want to die",
            "I'm going to end it all tonight",
            "thinking about how to end my life",
            "I've been feeling suicidal",
            "I started to self-harm again",
            "i cut myself last night",
            "how many pills would kill me? like how many pills to die",
            "there's no reason to live anymore",
            "everyone would be better off without me, I'd be better off dead",
            "i dont want to be alive",
            "im going to overdose tonight",
            "i tried to overdose last year and the feelings are back",
            "I survived an overdose two years ago",
            "since my attempt in high school i've been ok but it's back",
        ],
    );
}

#[test]
fn violence_both() {
    assert_flags(
        Category::Violence,
        &[
            "mon mari me frappe quand il a bu",
            "je vais te tuer, je sais où tu habites",
            "il y a eu un attentat près de chez moi",
            "my boyfriend hits me when he is angry",
            "I'm going to kill him, I swear",
            "I was stabbed on my way home",
        ],
    );
}

#[test]
fn sexual_both() {
    assert_flags(
        Category::Sexual,
        &[
            "envoie-moi tes nudes",
            "on pourrait coucher ensemble ce soir",
            "tu regardes du porno ?",
            "send me nudes",
            "want to have sex tonight?",
            "I'm so horny",
        ],
    );
}

#[test]
fn sexual_minors_both() {
    assert_flags(
        Category::SexualMinors,
        &[
            "un site de pédopornographie",
            "des photos d'une gamine de 12 ans nue",
            "where can I find child porn",
            "he is a pedophile",
            // A sexual flag plus a stated age under 18.
            "j'ai 14 ans et il me demande des nudes",
            "I'm 15 and he wants to have sex tonight",
        ],
    );
    assert!(
        !categories("I'm 25 and he wants to have sex tonight").contains(&Category::SexualMinors)
    );
}

#[test]
fn harassment_both() {
    assert_flags(
        Category::Harassment,
        &[
            "ferme ta gueule connard",
            "t'es qu'une merde",
            "je me fais harceler au lycée",
            "shut the fuck up you worthless piece of shit",
            "kill yourself",
            "I'm being bullied at school",
        ],
    );
}

#[test]
fn hate_both() {
    assert_flags(
        Category::Hate,
        &[
            "sale arabe rentre chez toi",
            "les immigrés sont des parasites",
            "heil hitler",
            "go back to your country",
            "muslims are animals",
            "white power forever",
        ],
    );
}

#[test]
fn illicit_both() {
    assert_flags(
        Category::Illicit,
        &[
            "je cherche où acheter de la coke",
            "tu connais un plan beuh ?",
            "comment fabriquer une bombe",
            "where can I buy some meth",
            "selling fake ids",
            "how to make a pipe bomb",
        ],
    );
}

#[test]
fn grief_both() {
    assert_flags(
        Category::Grief,
        &[
            "l'enterrement de mon grand-père est demain",
            "les obsèques ont eu lieu vendredi",
            "on est en deuil",
            "my grandma passed away last week",
            "the funeral is on Saturday",
            "I lost my dad to cancer",
        ],
    );
}

#[test]
fn health_both() {
    assert_flags(
        Category::Health,
        &[
            "ma mère a un cancer",
            "je commence la chimio lundi",
            "on m'a diagnostiqué un diabète",
            "my dad has cancer",
            "I was diagnosed with MS",
            "she's in chemo",
        ],
    );
}

#[test]
fn politics_both() {
    assert_flags(
        Category::Politics,
        &[
            "tu votes pour qui à la présidentielle ?",
            "Macron a encore parlé",
            "l'extrême droite monte partout",
            "who are you voting for in the election",
            "Trump said something again",
            "the far right is rising",
        ],
    );
}

#[test]
fn religion_both() {
    assert_flags(
        Category::Religion,
        &[
            "je vais à la messe dimanche",
            "tu crois en Dieu ?",
            "pendant le ramadan je cuisine le soir",
            "I go to church every Sunday",
            "do you believe in god",
            "I'm a practicing Muslim",
        ],
    );
}

#[test]
fn finance_distress_both() {
    assert_flags(
        Category::FinanceDistress,
        &[
            "j'ai des dettes partout",
            "je suis en surendettement",
            "je peux pas payer mon loyer ce mois-ci",
            "I can't pay rent this month",
            "we got an eviction notice",
            "I'm drowning in debt",
        ],
    );
}

#[test]
fn addiction_both() {
    assert_flags(
        Category::Addiction,
        &[
            "mon frère est alcoolique",
            "je suis en sevrage depuis deux semaines",
            "j'arrive pas à arrêter de boire",
            "I'm a recovering addict",
            "I relapsed last night",
            "my gambling problem is getting worse",
        ],
    );
}

#[test]
fn ordinary_chat_is_clean() {
    assert_clean(&[
        "On a regardé Inception hier soir, la fin est géniale",
        "Tu as une recette de gratin dauphinois ?",
        "J'ai coupé les oignons trop fins",
        "The soundtrack of Interstellar gives me chills",
        "I burned the garlic again lol",
        "What's your favourite Miyazaki film?",
        "",
        "🙂🍿🎬",
    ]);
}

// --- Matching rules -------------------------------------------------------

#[test]
fn folding_of_case_accents_and_apostrophes() {
    for text in [
        "J’AI ENVIE D’EN FINIR",
        "j'ai envie d'en finir",
        "Jai envie den finir",
        "j`ai envie d‘en finir",
        "ENVIE   D'EN\tFINIR",
        "j'ai envie d'en-finir",
    ] {
        assert_eq!(categories(text), [Category::SelfHarm], "{text}");
    }
    assert_eq!(categories("OBSÈQUES"), [Category::Grief]);
    assert_eq!(categories("obseques"), [Category::Grief]);
    assert_eq!(categories("chimiothérapie"), [Category::Health]);
}

#[test]
fn word_boundaries() {
    let mut additions = SafetyAdditions::default();
    additions
        .phrases
        .insert(Category::Violence, vec!["kill".into()]);
    additions
        .phrases
        .insert(Category::Grief, vec!["mort".into()]);
    let checker = SafetyChecker::with_additions(&additions).expect("valid additions");
    let flagged = |text: &str| !checker.is_clean(text);
    // Whole words only: neither inside nor at the start of a longer word.
    assert!(!flagged("great skill"));
    assert!(!flagged("a killer soundtrack"));
    assert!(!flagged("un accident mortel"));
    assert!(!flagged("immortel"));
    assert!(flagged("kill."));
    assert!(flagged("(kill)"));
    assert!(flagged("Kill!"));
    assert!(flagged("la mort, enfin"));
    assert!(flagged("l'mort"));
    // Builtin single words respect boundaries too.
    assert!(categories("Essex and unisex sextant").is_empty());
    assert_eq!(categories("sex"), [Category::Sexual]);
    // A trailing `*` only extends the end of a word.
    assert_eq!(categories("pensées suicidaires"), [Category::SelfHarm]);
    assert!(categories("antisuicide").is_empty());
}

#[test]
fn flags_point_at_the_original_text() {
    let text = "Bon.  Franchement, J’ai ENVIE  d’en   finir 😞";
    let flags = checker().scan(text);
    assert_eq!(flags.len(), 1, "{flags:?}");
    let flag = &flags[0];
    assert_eq!(flag.category, Category::SelfHarm);
    assert_eq!(flag.phrase, "{envie|besoin} d'en finir");
    assert_eq!(flag.matched, "ENVIE  d’en   finir");
    assert_eq!(&text[flag.start..flag.end], flag.matched);

    let text = "Œuvre triste: mes idées noires reviennent";
    let flag = checker().first_flag(text).expect("flagged");
    assert_eq!(flag.matched, "idées noires");
    assert_eq!(&text[flag.start..flag.end], "idées noires");

    // A wildcard match covers the user's whole word.
    let flag = checker().first_flag("Il est SUICIDAIRE.").expect("flagged");
    assert_eq!(flag.matched, "SUICIDAIRE");
}

#[test]
fn flags_come_in_text_order() {
    let text = "Depuis l'enterrement de mon père, je veux mourir. Mes dettes aussi.";
    let flags = checker().scan(text);
    let found: Vec<Category> = flags.iter().map(|f| f.category).collect();
    assert_eq!(
        found,
        [
            Category::Grief,
            Category::SelfHarm,
            Category::FinanceDistress
        ]
    );
    assert!(flags.windows(2).all(|w| w[0].end <= w[1].start));
    assert_eq!(
        checker().first_flag(text).map(|f| f.category),
        Some(Category::Grief)
    );
    assert_eq!(
        checker().first_blocking(text).map(|f| f.category),
        Some(Category::SelfHarm)
    );
    assert!(!checker().is_clean(text));
    assert_eq!(checker().first_blocking("les obsèques de ma tante"), None);
    for text in [
        text,
        "les obsèques de ma tante",
        "rien à signaler",
        "I want to die",
        "j'ai quinze ans et je veux mourir",
        "I'm 14",
    ] {
        let reading = checker().read_message(text);
        let first = checker().first_flag(text).map(|f| f.category);
        assert_eq!(reading.first_flag, first, "{text}");
        assert_eq!(reading.blocking, checker().first_blocking(text), "{text}");
        assert_eq!(reading.stated_age, stated_age(text), "{text}");
    }
}

#[test]
fn allow_list_cancels_overlapping_matches() {
    assert_clean(&[
        "On a revu Suicide Squad, franchement bof",
        "The Suicide Squad is better than the first one",
        "Kill Bill volume 2 is my favourite",
        "Natural Born Killers is so violent",
        "Dead Poets Society made me cry",
        "Requiem for a Dream is hard to watch",
        "je meurs de rire devant cette série",
        "mort de rire 😂",
        "this film killed me 😂",
        "that tiramisu is to die for",
        "you're killing it with these recipes",
        "I'm dying to see the new Dune",
        "ça m'a tué ce passage",
        "dead tired after work",
        "je vais crever de chaud dans cette cuisine",
        "I cut myself chopping onions",
        "cutting myself a slice of cake",
        "Virgin Suicides is a beautiful film",
        "Good grief, what a plot twist",
        "Black Widow was fun",
        "hit me up when you watch it",
        "after my attempt at sourdough I gave up baking",
        "my last attempt to beat the boss failed lol",
        "i will od on coffee tomorrow haha",
        "demain je me tue au travail pour finir ce dossier",
        "cette réunion, j'ai voulu me pendre avec mon badge",
        "ce lundi me tue",
    ]);
    // Someone else's overdose is not a crisis of the writer (the word alone is `addiction`).
    assert!(
        !categories("my sister tried to overdose last year and i worry")
            .contains(&Category::SelfHarm)
    );
    // An allow phrase only cancels the matches it overlaps.
    assert_eq!(
        categories("J'ai revu Suicide Squad et j'ai envie de mourir"),
        [Category::SelfHarm]
    );
    assert_eq!(
        categories("Kill Bill was great but I want to die"),
        [Category::SelfHarm]
    );
}

// --- Additions and lexicon folders ----------------------------------------

#[test]
fn with_additions_adds_phrases_and_allow() {
    let mut additions = SafetyAdditions::default();
    additions.phrases.insert(
        Category::Politics,
        vec!["{conseil|conseils} municipal*".into()],
    );
    additions.allow.push("messe de minuit".into());
    let checker = SafetyChecker::with_additions(&additions).expect("valid");
    assert_eq!(
        checker
            .first_flag("Le conseil municipal a voté")
            .map(|f| f.category),
        Some(Category::Politics)
    );
    assert!(checker.is_clean("la messe de minuit au cinéma"));
    assert!(!SafetyChecker::builtin().is_clean("la messe de minuit au cinéma"));
    assert!(checker.pattern_count() > SafetyChecker::builtin().pattern_count());
    // Empty additions give the builtin checker back.
    let plain = SafetyChecker::with_additions(&SafetyAdditions::default()).expect("valid");
    assert_eq!(
        plain.pattern_count(),
        SafetyChecker::builtin().pattern_count()
    );
}

#[test]
fn additions_layer_merges_with_the_builtin_one() {
    let mut additions = SafetyAdditions::default();
    additions.phrases.insert(
        Category::Violence,
        vec![
            // Longer than the builtin `envie de mourir`, same start: it wins.
            "envie de mourir de rage".into(),
            // Same words as a builtin phrase: the builtin entry wins the tie.
            "obsèques".into(),
            "bagarre*".into(),
        ],
    );
    let checker = SafetyChecker::with_additions(&additions).expect("valid");
    let flags =
        checker.scan("Aux obsèques, envie de mourir de rage, puis bagarres et je veux mourir");
    let found: Vec<(Category, &str)> = flags
        .iter()
        .map(|f| (f.category, f.matched.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Category::Grief, "obsèques"),
            (Category::Violence, "envie de mourir de rage"),
            (Category::Violence, "bagarres"),
            (Category::SelfHarm, "je veux mourir"),
        ]
    );
    assert_eq!(flags[2].phrase, "bagarre*");

    // Allow-only additions cancel builtin matches.
    let allow_only = SafetyAdditions {
        allow: vec!["pas envie de mourir".into()],
        ..SafetyAdditions::default()
    };
    let checker = SafetyChecker::with_additions(&allow_only).expect("valid");
    assert!(checker.is_clean("j'ai pas envie de mourir, rassure-toi"));
    assert_eq!(
        checker.pattern_count(),
        SafetyChecker::builtin().pattern_count()
    );
    // Builtin allow phrases cancel addition matches.
    let mut additions = SafetyAdditions::default();
    additions
        .phrases
        .insert(Category::Violence, vec!["squad".into()]);
    let checker = SafetyChecker::with_additions(&additions).expect("valid");
    assert!(checker.is_clean("Suicide Squad"));
    assert!(!checker.is_clean("the squad"));
}

#[test]
fn with_additions_rejects_bad_phrases() {
    for (phrase, problem) in [
        ("", PhraseProblem::Empty),
        ("   ", PhraseProblem::Empty),
        ("!!!", PhraseProblem::Empty),
        ("a*b", PhraseProblem::MisplacedWildcard),
        ("x*", PhraseProblem::ShortWildcard),
        ("{oops", PhraseProblem::UnbalancedBraces),
    ] {
        let mut additions = SafetyAdditions::default();
        additions
            .phrases
            .insert(Category::Grief, vec![phrase.into()]);
        match SafetyChecker::with_additions(&additions) {
            Err(SafetyError::Addition {
                list,
                problem: found,
                ..
            }) => {
                assert_eq!(list, "grief");
                assert_eq!(found, problem, "{phrase:?}");
            }
            other => panic!("{phrase:?}: unexpected {other:?}"),
        }
    }
    let additions = SafetyAdditions {
        allow: vec![String::new()],
        ..SafetyAdditions::default()
    };
    let err = SafetyChecker::with_additions(&additions).expect_err("empty allow phrase");
    assert!(err.to_string().contains("`allow`"), "{err}");
}

#[test]
fn additions_serde_defaults() {
    let empty: SafetyAdditions = ron::from_str("()").expect("ron");
    assert_eq!(empty, SafetyAdditions::default());
    let additions: SafetyAdditions =
        ron::from_str(r#"(phrases: {self_harm: ["je disparais"]})"#).expect("ron");
    assert_eq!(additions.phrases[&Category::SelfHarm], ["je disparais"]);
    assert!(additions.allow.is_empty());
    let json = serde_json::to_string(&additions).expect("json");
    assert_eq!(
        json,
        r#"{"phrases":{"self_harm":["je disparais"]},"allow":[]}"#
    );
}

/// A fresh, empty temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "relance-safety-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

#[test]
fn from_dir_matches_builtin_on_the_shipped_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lexicons");
    let checker = SafetyChecker::from_dir(&dir, &SafetyAdditions::default()).expect("valid");
    assert_eq!(
        checker.pattern_count(),
        SafetyChecker::builtin().pattern_count()
    );
    let text = "Depuis l'enterrement je veux mourir, pas comme dans Suicide Squad";
    assert_eq!(checker.scan(text), SafetyChecker::builtin().scan(text));
}

#[test]
fn from_dir_loads_a_designer_folder() {
    let dir = temp_dir("designer");
    write(
        &dir.join("fr/grief.txt"),
        "# grief\n\ncimetière du village\n{veillée|veillee} funèbre\n",
    );
    write(&dir.join("fr/allow.txt"), "# allow\nPère Lachaise\n");
    write(
        &dir.join("en/self_harm.txt"),
        "# self-harm\nwant to vanish*\n",
    );
    write(&dir.join("README.md"), "not a lexicon");
    let additions = SafetyAdditions {
        phrases: [(Category::Health, vec!["angine".to_owned()])].into(),
        allow: Vec::new(),
        crisis_threshold: None,
    };
    let checker = SafetyChecker::from_dir(&dir, &additions).expect("valid");
    assert_eq!(
        checker
            .first_flag("au Cimetière du village")
            .map(|f| f.category),
        Some(Category::Grief)
    );
    assert_eq!(
        checker.first_flag("I want to vanishhh").map(|f| f.category),
        Some(Category::SelfHarm)
    );
    assert_eq!(
        checker.first_flag("une angine").map(|f| f.category),
        Some(Category::Health)
    );
    // The folder replaces the builtin lexicons.
    assert!(checker.is_clean("les obsèques"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn from_dir_errors_name_the_file_and_line() {
    let dir = temp_dir("bad-line");
    let file = dir.join("fr/self_harm.txt");
    write(&file, "# comment\nenvie de mourir\n\nsui*cide\n");
    let err = SafetyChecker::from_dir(&dir, &SafetyAdditions::default()).expect_err("bad line");
    match &err {
        SafetyError::Phrase {
            file: named,
            line,
            problem,
            ..
        } => {
            assert_eq!(named, &file.display().to_string());
            assert_eq!(*line, 4);
            assert_eq!(*problem, PhraseProblem::MisplacedWildcard);
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("self_harm.txt, line 4"), "{message}");

    let dir_unknown = temp_dir("unknown-file");
    write(&dir_unknown.join("en/sadness.txt"), "blue\n");
    let err =
        SafetyChecker::from_dir(&dir_unknown, &SafetyAdditions::default()).expect_err("unknown");
    assert!(matches!(err, SafetyError::UnknownFile { .. }), "{err:?}");
    assert!(err.to_string().contains("sadness.txt"), "{err}");

    let empty = temp_dir("empty");
    let err = SafetyChecker::from_dir(&empty, &SafetyAdditions::default()).expect_err("empty");
    assert!(matches!(err, SafetyError::NoLexicon { .. }), "{err:?}");

    let missing = empty.join("missing");
    let err = SafetyChecker::from_dir(&missing, &SafetyAdditions::default()).expect_err("missing");
    assert!(matches!(err, SafetyError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");

    for dir in [dir, dir_unknown, empty] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

// --- Robustness -------------------------------------------------------------

#[test]
fn checker_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<SafetyChecker>();
    let clone = checker().clone();
    assert_eq!(
        clone.scan("je veux mourir"),
        checker().scan("je veux mourir")
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                SafetyChecker::builtin()
                    .first_blocking("I want to die")
                    .is_some()
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().expect("thread"));
    }
}

#[test]
fn unusual_inputs_do_not_panic() {
    let long = "je regarde un film et je cuisine des pâtes ".repeat(20_000) + "je veux mourir";
    let flags = checker().scan(&long);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].matched, "je veux mourir");
    assert_eq!(&long[flags[0].start..flags[0].end], "je veux mourir");
    for text in [
        "",
        " ",
        "\0\0\0",
        "\u{301}\u{301}\u{301}",
        "e\u{301}\u{20dd}",
        "🏳️‍🌈👨‍👩‍👧‍👦🇫🇷",
        "עברית ועוד العربية",
        "\u{202e}suicide\u{202c}",
        "\u{feff}je\u{200b}veux mourir",
        "ﬀﬁﬂ ǅ Ǆ İ ß ẞ",
        "'''''''",
        "****{}{|}",
        "\u{10ffff}\u{fffd}",
    ] {
        let flags = checker().scan(text);
        for flag in flags {
            assert!(text.is_char_boundary(flag.start) && text.is_char_boundary(flag.end));
            assert_eq!(&text[flag.start..flag.end], flag.matched);
        }
        let _ = fold(text);
        let _ = stated_age(text);
    }
}

#[test]
#[ignore = "throughput measurement; run with --ignored --nocapture"]
fn throughput() {
    let start = std::time::Instant::now();
    let checker = SafetyChecker::with_additions(&SafetyAdditions {
        allow: vec!["xyz".into()],
        ..SafetyAdditions::default()
    })
    .expect("valid");
    println!(
        "build: {:?}, {} patterns",
        start.elapsed(),
        checker.pattern_count()
    );
    let messages = [
        "On a regardé Inception hier soir, la fin est géniale !",
        "Tu as une recette de gratin dauphinois ? J'ai des invités samedi.",
        "The soundtrack of Interstellar gives me chills every single time",
        "I burned the garlic again lol, any tips for a creamy risotto?",
        "Franchement j'ai plus envie de vivre",
    ];
    let rounds = 200_000;
    let start = std::time::Instant::now();
    let mut flagged = 0;
    for i in 0..rounds {
        flagged += usize::from(
            checker
                .first_blocking(messages[i % messages.len()])
                .is_some(),
        );
    }
    let elapsed = start.elapsed();
    println!(
        "{rounds} messages in {elapsed:?} ({:.0} messages/s), {flagged} flagged",
        rounds as f64 / elapsed.as_secs_f64()
    );
}

proptest! {
    #[test]
    fn fold_never_panics(text in any::<String>()) {
        let folded = fold(&text);
        prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' '));
        prop_assert!(!folded.contains("  "));
    }

    #[test]
    fn scan_offsets_are_char_boundaries(text in any::<String>()) {
        for flag in checker().scan(&text) {
            prop_assert!(flag.start < flag.end);
            prop_assert!(text.is_char_boundary(flag.start));
            prop_assert!(text.is_char_boundary(flag.end));
            prop_assert_eq!(&text[flag.start..flag.end], flag.matched.as_str());
        }
    }

    #[test]
    fn embedded_phrases_are_found_with_valid_offsets(
        prefix in "\\PC{0,20}",
        suffix in "\\PC{0,20}",
        phrase in prop::sample::select(vec![
            "envie d’en finir", "KILL MYSELF", "obsèques", "Suicide Squad", "mort de rire",
            "je veux mourir", "dettes", "chimiothérapie", "i want to die", "cœur",
        ]),
    ) {
        let text = format!("{prefix} {phrase} {suffix}");
        let flags = checker().scan(&text);
        for flag in &flags {
            prop_assert!(text.is_char_boundary(flag.start) && text.is_char_boundary(flag.end));
            prop_assert_eq!(&text[flag.start..flag.end], flag.matched.as_str());
        }
        let _ = stated_age(&text);
    }
}

#[test]
fn shares_in_basis_points_print_as_percentages_rounded_half_up() {
    use super::percent_of_bp;
    assert_eq!(percent_of_bp(0), "0.0");
    assert_eq!(percent_of_bp(95), "1.0");
    assert_eq!(percent_of_bp(94), "0.9");
    assert_eq!(percent_of_bp(1_235), "12.4");
    assert_eq!(percent_of_bp(10_000), "100.0");
}

#[test]
fn a_threshold_is_costly_past_twice_the_shipped_share_of_ordinary_chat() {
    use super::ThresholdCost;
    let cost = |flagged_bp, flagged_at_floor_bp| ThresholdCost {
        threshold: 0.5,
        flagged_bp,
        floor: 0.65,
        flagged_at_floor_bp,
    };
    // Compared as shown: 1.9 % and 2.0 % are not more than twice 1.0 %, 2.1 % is.
    assert!(!cost(191, 95).is_costly());
    assert!(!cost(204, 95).is_costly());
    assert!(cost(205, 95).is_costly());
    assert!(cost(5, 0).is_costly(), "any shown cost over a free floor");
    assert!(!cost(4, 0).is_costly(), "shown as 0.0 %");
    assert!(!cost(0, 0).is_costly());
}
