//! Persona test suites: the expectations a scenario carries, checked against a replay.
//!
//! A persona lists its test scenarios (`tests:`, paths relative to the persona file); each
//! scenario carries expectations ([`crate::model::expect`]). [`run_persona`] replays each
//! scenario under the persona's policy and checks every expectation, giving for a failing one
//! what was expected, what happened and the decision's trace sentence. [`record`] turns a
//! replay's decisions into expectations, for the designer to review and trim. [`diff`] lists
//! what differs between two replays of one scenario; [`junit`] writes results for CI.

pub mod diff;
pub mod junit;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::compose::text::fold_key;
use crate::engine::trace::decision_trace;
use crate::engine::{Decision, Outcome, Reason, Replay};
use crate::model::diagnostics::{Diagnostic, LoadError, Severity};
use crate::model::expect::{DecisionExpect, Expectations, ExpectedOutcome, TextExpect};
use crate::model::persona::Formality;
use crate::model::scenario::ScenarioFormat;
use crate::model::{Persona, Policy, Scenario, User};
use crate::replay::{ReplayOptions, replay};

/// The result of one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectationResult {
    /// Index of the user in the scenario; `None` for a scenario-wide check.
    pub user: Option<usize>,
    /// A short name: the user's id and what is expected ("lea: sent between …").
    pub name: String,
    /// What was expected, in words.
    pub expected: String,
    /// What happened, in words.
    pub actual: String,
    /// The trace sentence of the decision shown as what happened (empty when there is none).
    pub trace: String,
    /// The decision shown as what happened: (user index, index in that user's decisions).
    pub decision: Option<(usize, usize)>,
    /// When the expected decision should be (the instant, or the range's start), for drawing it.
    pub expected_at: Option<DateTime<Utc>>,
    /// Whether the expectation holds.
    pub passed: bool,
}

/// One scenario of a suite, run.
#[derive(Clone, Debug)]
pub struct SuiteRun {
    /// The scenario file.
    pub path: PathBuf,
    /// The results, or the error that kept the scenario from running.
    pub results: Result<Vec<ExpectationResult>, String>,
}

impl SuiteRun {
    /// How many expectations passed and failed (a scenario that did not load counts one failure).
    pub fn counts(&self) -> (usize, usize) {
        match &self.results {
            Ok(r) => {
                let passed = r.iter().filter(|x| x.passed).count();
                (passed, r.len() - passed)
            }
            Err(_) => (0, 1),
        }
    }
}

/// A persona's suites, run.
#[derive(Clone, Debug)]
pub struct PersonaRun {
    /// The persona file.
    pub path: PathBuf,
    /// The persona's id (its file name when it did not load).
    pub id: String,
    /// The problems of the persona's safety additions, placed in its file (see
    /// [`load_persona`]): the suites ran without them.
    pub warnings: Vec<Diagnostic>,
    /// Each suite scenario, run; or the error that kept the persona from loading.
    pub suites: Result<Vec<SuiteRun>, String>,
}

impl PersonaRun {
    /// How many expectations passed and failed over every suite.
    pub fn counts(&self) -> (usize, usize) {
        match &self.suites {
            Ok(s) => s
                .iter()
                .map(SuiteRun::counts)
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            Err(_) => (0, 1),
        }
    }
}

/// The scenario paths of a persona's suite, resolved against the persona file's folder.
pub fn suite_paths(persona_path: &Path, persona: &Persona) -> Vec<PathBuf> {
    let dir = persona_path.parent().unwrap_or(Path::new("."));
    persona.tests.iter().map(|t| dir.join(t)).collect()
}

/// Loads a scenario file with its expectations.
pub fn load_scenario(path: &Path) -> anyhow::Result<(Scenario, Expectations)> {
    let format = ScenarioFormat::from_path(path)
        .ok_or_else(|| anyhow::anyhow!("{}: a scenario is a .ron or .json file", path.display()))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let (scenario, expectations, _) = Scenario::from_str_with_expectations(&text, format, path)?;
    Ok((scenario, expectations))
}

/// Replays `scenario` for a suite (texts composed, seed 0: what `relance simulate` shows).
pub fn replay_for_suite(persona: &Persona, policy: &Policy, scenario: &Scenario) -> Replay {
    replay(persona, policy, scenario, ReplayOptions::default())
}

/// Loads a persona file, with the problems of its safety additions as warnings placed in the
/// file (what `relance check` reports as errors): a replay runs without an invalid phrase, and
/// at the shipped floor for a crisis threshold above it, so whoever runs one should say so.
pub fn load_persona(path: &Path) -> Result<(Persona, Vec<Diagnostic>), LoadError> {
    let (persona, source) = Persona::load_with_source(path)?;
    let warnings = crate::safety::lint_persona_in(&persona, &source)
        .into_iter()
        .filter(|d| d.severity == Severity::Error && d.field.starts_with("safety."))
        .map(|d| Diagnostic {
            severity: Severity::Warning,
            rule: "safety".to_owned(),
            ..d
        })
        .collect();
    Ok((persona, warnings))
}

/// Loads a persona and runs every suite it lists.
pub fn run_persona(path: &Path) -> PersonaRun {
    let fallback_id = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let (persona, warnings) = match load_persona(path) {
        Ok(loaded) => loaded,
        Err(e) => {
            return PersonaRun {
                path: path.to_owned(),
                id: fallback_id,
                warnings: Vec::new(),
                suites: Err(format!("{e:#}")),
            };
        }
    };
    let suites = match persona.policy.resolve() {
        Some(policy) => Ok(suite_paths(path, &persona)
            .into_iter()
            .map(|p| run_suite(&persona, &policy, &p))
            .collect()),
        None => Err(format!(
            "the persona names the unknown preset `{}`",
            persona.policy.name()
        )),
    };
    PersonaRun {
        path: path.to_owned(),
        id: persona.id.clone(),
        warnings,
        suites,
    }
}

/// Loads one suite scenario, replays it and checks its expectations.
pub fn run_suite(persona: &Persona, policy: &Policy, path: &Path) -> SuiteRun {
    let results = load_scenario(path)
        .map(|(scenario, expectations)| {
            let replay = replay_for_suite(persona, policy, &scenario);
            check(policy, &scenario, &expectations, &replay)
        })
        .map_err(|e| format!("{e:#}"));
    SuiteRun {
        path: path.to_owned(),
        results,
    }
}

/// A decision in words: outcome, instant, channel and text.
pub fn describe_decision(d: &Decision) -> String {
    let at = d.at.format("%Y-%m-%d %H:%M UTC");
    match d.text() {
        Some(text) if d.outcome == Outcome::Sent => {
            format!("sent at {at} on {}: \"{text}\"", d.channel)
        }
        _ if d.outcome == Outcome::Sent => format!("sent at {at} on {}", d.channel),
        _ => format!("held back ({}) at {at} on {}", d.reason.as_str(), d.channel),
    }
}

/// The sentence of a decision's trace that says why it came out so: the first failing rule,
/// else the schedule.
pub fn trace_sentence(d: &Decision, policy: &Policy, user: &User) -> String {
    let steps = decision_trace(d, policy, user, None);
    steps
        .iter()
        .find(|s| !s.passed)
        .or_else(|| steps.first())
        .map(|s| s.detail.clone())
        .unwrap_or_default()
}

/// Checks every expectation of `expectations` against `replay` (of `scenario` under `policy`).
pub fn check(
    policy: &Policy,
    scenario: &Scenario,
    expectations: &Expectations,
    replay: &Replay,
) -> Vec<ExpectationResult> {
    let mut out = Vec::with_capacity(expectations.count());
    for (id, list) in &expectations.users {
        let Some(ui) = scenario.users.iter().position(|u| &u.id == id) else {
            continue;
        };
        let user = &scenario.users[ui];
        let decisions = replay.of_user(ui);
        for e in list {
            out.push(check_decision(policy, user, ui, decisions, e));
        }
    }
    scenario_checks(policy, scenario, expectations, replay, &mut out);
    out
}

/// What `d` does not meet of `e`, one sentence per failed check.
pub fn unmet(e: &DecisionExpect, d: &Decision) -> Vec<String> {
    let mut failed = Vec::new();
    let sent = d.outcome == Outcome::Sent;
    match e.outcome {
        ExpectedOutcome::Sent if !sent => {
            failed.push(format!("held back ({}) instead of sent", d.reason.as_str()))
        }
        ExpectedOutcome::Held if sent => failed.push("sent instead of held back".to_owned()),
        _ => {}
    }
    if let Some(r) = e.reason
        && !sent
        && r != d.reason
    {
        failed.push(format!(
            "held back for {} instead of {}",
            d.reason.as_str(),
            r.as_str()
        ));
    }
    if let Some(c) = e.channel
        && c != d.channel
    {
        failed.push(format!("on {} instead of {c}", d.channel));
    }
    if sent && let Some(m) = &d.message {
        failed.extend(unmet_text(&e.text, &m.text, m.lang, m.memory.is_some()));
    }
    failed
}

/// What a sent text does not meet of `t`.
fn unmet_text(t: &TextExpect, text: &str, lang: crate::model::Lang, echoes: bool) -> Vec<String> {
    let mut failed = Vec::new();
    let key = fold_key(text);
    for c in &t.contains {
        if !key.contains(&fold_key(c)) {
            failed.push(format!("the text does not contain \"{c}\""));
        }
    }
    for c in &t.not_contains {
        if key.contains(&fold_key(c)) {
            failed.push(format!("the text contains \"{c}\""));
        }
    }
    if let Some(l) = t.lang
        && l != lang
    {
        failed.push(format!(
            "the text is in {} instead of {}",
            lang.native_name(),
            l.native_name()
        ));
    }
    if let Some(a) = t.address {
        let (wrong, word) = match a {
            Formality::Tu => (VOUS_WORDS, "vous"),
            Formality::Vous => (TU_WORDS, "tu"),
        };
        if let Some(w) = words(&key).find(|w| wrong.contains(w)) {
            failed.push(format!("the text says {word} (\"{w}\")"));
        }
    }
    if let Some(n) = t.max_chars {
        let len = text.chars().count();
        if len > n {
            failed.push(format!("the text has {len} characters, more than {n}"));
        }
    }
    if t.mentions_user_subject && !echoes {
        failed.push("the text mentions nothing the user talked about".to_owned());
    }
    failed
}

/// French words that address the user as `tu` (`t'` elided forms split at the apostrophe).
const TU_WORDS: &[&str] = &["tu", "te", "toi", "ton", "ta", "tes"];
/// French words that address the user as `vous`.
const VOUS_WORDS: &[&str] = &["vous", "votre", "vos"];

/// The words of a folded text.
fn words(key: &str) -> impl Iterator<Item = &str> {
    key.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn check_decision(
    policy: &Policy,
    user: &User,
    ui: usize,
    decisions: &[Decision],
    e: &DecisionExpect,
) -> ExpectationResult {
    let expected = e.describe();
    let name = format!("{}: {expected}", user.id);
    let expected_at = e.at.or(e.after).or(e.before);
    let in_time: Vec<usize> = (0..decisions.len())
        .filter(|&k| e.admits(decisions[k].at))
        .collect();
    let scored: Vec<(usize, Vec<String>)> = in_time
        .iter()
        .map(|&k| (k, unmet(e, &decisions[k])))
        .collect();
    let mut result = ExpectationResult {
        user: Some(ui),
        name,
        expected,
        actual: String::new(),
        trace: String::new(),
        decision: None,
        expected_at,
        passed: false,
    };
    if let Some((k, _)) = scored.iter().find(|(_, f)| f.is_empty()) {
        result.passed = true;
        result.actual = describe_decision(&decisions[*k]);
        result.decision = Some((ui, *k));
        return result;
    }
    let shown = match scored.iter().min_by_key(|(_, f)| f.len()) {
        Some((k, failed)) => {
            result.actual = format!(
                "{}; {}",
                describe_decision(&decisions[*k]),
                failed.join("; ")
            );
            Some(*k)
        }
        None => {
            // Nothing in the time asked for: show the nearest decision, if any.
            let target = expected_at.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let nearest = (0..decisions.len())
                .min_by_key(|&k| (decisions[k].at - target).num_seconds().unsigned_abs());
            result.actual = match nearest {
                Some(k) => format!(
                    "no decision in that time; nearest: {}",
                    describe_decision(&decisions[k])
                ),
                None => "no decision at all for this user".to_owned(),
            };
            nearest
        }
    };
    if let Some(k) = shown {
        result.trace = trace_sentence(&decisions[k], policy, user);
        result.decision = Some((ui, k));
    }
    result
}

/// Whether `user` is known to be a minor or to have opted out before `at`: by profile age, or
/// by their own messages (checked here, not taken from the engine under test).
fn minor_or_opted_out(policy: &Policy, user: &User, at: DateTime<Utc>) -> Option<&'static str> {
    if user.age.is_some_and(|a| a < 18) {
        return Some("a minor by profile");
    }
    let folded: Vec<String> = policy
        .opt_out_words
        .iter()
        .map(|w| crate::engine::facts::fold_opt_out(w))
        .collect();
    let before = user
        .events
        .iter()
        .filter(|ev| ev.at <= at && ev.from == crate::model::Sender::User);
    for ev in before {
        if crate::safety::states_minor(&ev.text) {
            return Some("said they are a minor");
        }
        if crate::engine::facts::is_opt_out(&ev.text, &folded) {
            return Some("opted out");
        }
    }
    None
}

fn scenario_checks(
    policy: &Policy,
    scenario: &Scenario,
    expectations: &Expectations,
    replay: &Replay,
    out: &mut Vec<ExpectationResult>,
) {
    let s = &expectations.scenario;
    let sent: Vec<(usize, usize)> = replay
        .users
        .iter()
        .flat_map(|u| {
            u.decisions
                .iter()
                .enumerate()
                .filter(|(_, d)| d.outcome == Outcome::Sent)
                .map(move |(k, _)| (u.user, k))
        })
        .collect();
    let decision = |(u, k): (usize, usize)| &replay.of_user(u)[k];
    let mut push = |expected: String, offenders: Vec<((usize, usize), String)>| {
        let first = offenders.first().map(|(at, _)| *at);
        out.push(ExpectationResult {
            user: first.map(|(u, _)| u),
            name: format!("scenario: {expected}"),
            passed: offenders.is_empty(),
            actual: if offenders.is_empty() {
                "none".to_owned()
            } else {
                offenders
                    .iter()
                    .map(|(_, why)| why.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            trace: first.map_or_else(String::new, |(u, k)| {
                trace_sentence(decision((u, k)), policy, &scenario.users[u])
            }),
            decision: first,
            expected_at: None,
            expected,
        });
    };
    if s.no_nudge_to_minor_or_opted_out {
        let offenders = sent
            .iter()
            .filter_map(|&(u, k)| {
                let user = &scenario.users[u];
                let d = decision((u, k));
                minor_or_opted_out(policy, user, d.at).map(|why| {
                    (
                        (u, k),
                        format!("{} ({why}) {}", user.id, describe_decision(d)),
                    )
                })
            })
            .collect();
        push(
            "no nudge to a minor or opted-out user".to_owned(),
            offenders,
        );
    }
    if let Some(n) = s.max_sent {
        let offenders = if sent.len() > n {
            vec![(sent[n], format!("{} nudges sent", sent.len()))]
        } else {
            Vec::new()
        };
        push(format!("at most {n} nudges sent"), offenders);
    }
    if let Some(q) = s.no_send_between {
        let offenders = sent
            .iter()
            .filter_map(|&(u, k)| {
                let user = &scenario.users[u];
                let d = decision((u, k));
                let local = d.at.with_timezone(&user.timezone);
                q.contains(local.time()).then(|| {
                    (
                        (u, k),
                        format!(
                            "{} gets a nudge at {} local",
                            user.id,
                            local.format("%H:%M")
                        ),
                    )
                })
            })
            .collect();
        push(
            format!(
                "no send between {} and {} local",
                q.start.format("%H:%M"),
                q.end.format("%H:%M")
            ),
            offenders,
        );
    }
}

/// The current decisions of a replay as expectations, one per decision at its exact instant,
/// with its channel and, for a sent one, its language and what it echoes; `previous`
/// scenario-wide checks are kept. For the designer to review and trim.
pub fn record(scenario: &Scenario, replay: &Replay, previous: &Expectations) -> Expectations {
    let users = scenario
        .users
        .iter()
        .enumerate()
        .filter_map(|(ui, user)| {
            let list: Vec<DecisionExpect> = replay
                .of_user(ui)
                .iter()
                .map(|d| {
                    let sent = d.outcome == Outcome::Sent;
                    let text = match (&d.message, sent) {
                        (Some(m), true) => TextExpect {
                            contains: m.memory.iter().map(|i| i.label.clone()).collect(),
                            lang: Some(m.lang),
                            mentions_user_subject: m.memory.is_some(),
                            ..TextExpect::default()
                        },
                        _ => TextExpect::default(),
                    };
                    DecisionExpect {
                        outcome: if sent {
                            ExpectedOutcome::Sent
                        } else {
                            ExpectedOutcome::Held
                        },
                        reason: (d.reason != Reason::Sent).then_some(d.reason),
                        at: Some(d.at),
                        channel: Some(d.channel),
                        text,
                        ..DecisionExpect::default()
                    }
                })
                .collect();
            (!list.is_empty()).then(|| (user.id.clone(), list))
        })
        .collect();
    Expectations {
        scenario: previous.scenario.clone(),
        users,
    }
}

/// Records a scenario file's current decisions as its expectations and writes it back (in its
/// own format).
pub fn record_file(persona: &Persona, policy: &Policy, path: &Path) -> anyhow::Result<usize> {
    let (scenario, previous) = load_scenario(path)?;
    let replay = replay_for_suite(persona, policy, &scenario);
    let recorded = record(&scenario, &replay, &previous);
    let format = ScenarioFormat::from_path(path)
        .ok_or_else(|| anyhow::anyhow!("{}: a scenario is a .ron or .json file", path.display()))?;
    let text = scenario.to_string_with_expectations(format, &recorded);
    crate::model::diagnostics::write_atomically(path, text.as_bytes())?;
    Ok(recorded.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_words_are_found_after_folding() {
        let key = fold_key("Je vous écris, Léa");
        assert!(words(&key).any(|w| VOUS_WORDS.contains(&w)));
        let key = fold_key("T'as vu ça ? Dis-moi ce que tu en penses");
        assert!(words(&key).any(|w| TU_WORDS.contains(&w)));
        assert!(!words(&key).any(|w| VOUS_WORDS.contains(&w)));
    }
}
