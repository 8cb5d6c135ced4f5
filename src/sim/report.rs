//! The outputs of `relance population`: the JSON object (a documented contract) and the text
//! summary, for one run or for two runs compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{SerializeMap as _, Serializer};

use super::metrics::{Metrics, ratio};
use super::{PopulationReport, SAMPLES_PER_KIND};
use crate::engine::{Reason, instant};

/// Nudges held back by reason, serialised as an object in the order of [`Reason::ALL`] (every
/// reason present, zeros included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldBack(pub [u64; Reason::ALL.len()]);

impl Serialize for HeldBack {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Reason::ALL.len() - 1))?;
        for (reason, n) in Reason::ALL.iter().zip(&self.0) {
            if *reason != Reason::Sent {
                map.serialize_entry(reason.as_str(), n)?;
            }
        }
        map.end()
    }
}

/// Answer delays.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DelayJson {
    /// Mean, in minutes.
    pub mean_minutes: f64,
    /// Median, in minutes, to the 5 minutes.
    pub median_minutes: Option<u64>,
    /// 90th percentile, in minutes, to the 5 minutes.
    pub p90_minutes: Option<u64>,
    /// Answers within 1 hour.
    pub within_1h: u64,
    /// Answers within 6 hours.
    pub within_6h: u64,
    /// Answers within 24 hours.
    pub within_24h: u64,
    /// Answers within 48 hours.
    pub within_48h: u64,
}

/// Users protected by each safety rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtectedJson {
    /// Minors.
    pub minors: u64,
    /// Minors with a nudge held back because they are minors.
    pub minors_protected: u64,
    /// Minors who received a nudge before or without the engine knowing their age.
    pub minors_nudged: u64,
    /// Users who wrote about self-harm.
    pub distressed: u64,
    /// Of them, users with a nudge held back as a crisis case.
    pub distress_protected: u64,
    /// Users who wrote a message flagged in a blocking category.
    pub flagged: u64,
    /// Of them, users with a nudge held back for it.
    pub flagged_protected: u64,
    /// Users who sent an opt-out word.
    pub opted_out: u64,
    /// Of them, users with a nudge held back because they opted out.
    pub opted_out_protected: u64,
    /// Users with a nudge held back by the wellbeing rule.
    pub wellbeing_users: u64,
    /// Nudges held back by the wellbeing rule.
    pub wellbeing_holds: u64,
    /// Nudges held back with a self-harm flag in the cooldown.
    pub crisis_holds: u64,
}

/// The counts of a run or an archetype, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricsJson {
    /// Users.
    pub users: u64,
    /// Messages users sent during the run.
    pub user_messages: u64,
    /// Decisions (candidate nudges).
    pub decisions: u64,
    /// Nudges sent.
    pub sent: u64,
    /// Nudges held back, by reason.
    pub held_back: HeldBack,
    /// Nudges sent per day of the run.
    pub per_day: Vec<u64>,
    /// Nudges held back per day of the run.
    pub held_per_day: Vec<u64>,
    /// Nudges sent by the user's local hour (24 counts, midnight first).
    pub by_local_hour: [u64; 24],
    /// Users by number of nudges received: index n counts users with n nudges; the last
    /// counts 20 or more.
    pub nudges_per_user: Vec<u64>,
    /// Users who received at least one nudge.
    pub nudged_users: u64,
    /// Nudges answered.
    pub answered: u64,
    /// `answered / sent`.
    pub answer_rate: f64,
    /// Answer delays.
    pub answer_delay: DelayJson,
    /// Nudges answered with an opt-out word.
    pub opted_out_after_nudge: u64,
    /// Users who wrote within 48 hours after a nudge.
    pub returned_within_48h: u64,
    /// `returned_within_48h / nudged_users`.
    pub returned_within_48h_rate: f64,
    /// Nudges followed by a user message within 48 hours.
    pub nudges_followed_within_48h: u64,
    /// Users who had drifted away and answered a nudge.
    pub revived_users: u64,
    /// Users protected by each safety rule.
    pub protected: ProtectedJson,
}

impl MetricsJson {
    /// The JSON form of `m`.
    pub fn of(m: &Metrics) -> Self {
        Self {
            users: m.users,
            user_messages: m.user_messages,
            decisions: m.decisions,
            sent: m.sent,
            held_back: HeldBack(m.held_back),
            per_day: m.per_day.clone(),
            held_per_day: m.held_per_day.clone(),
            by_local_hour: m.by_local_hour,
            nudges_per_user: m.nudges_per_user.to_vec(),
            nudged_users: m.nudged_users,
            answered: m.answered,
            answer_rate: m.answer_rate(),
            answer_delay: DelayJson {
                mean_minutes: m.answer_delay_mean_minutes(),
                median_minutes: m.answer_delay_median_minutes(),
                p90_minutes: m.answer_delay_quantile_minutes(0.9),
                within_1h: m.answered_within_minutes(60),
                within_6h: m.answered_within_minutes(360),
                within_24h: m.answered_within_minutes(1440),
                within_48h: m.answered_within_minutes(2880),
            },
            opted_out_after_nudge: m.opted_out_after_nudge,
            returned_within_48h: m.returned_within_48h,
            returned_within_48h_rate: m.returned_rate(),
            nudges_followed_within_48h: m.nudges_followed_within_48h,
            revived_users: m.revived_users,
            protected: ProtectedJson {
                minors: m.minors,
                minors_protected: m.minors_protected,
                minors_nudged: m.minors_nudged,
                distressed: m.distressed,
                distress_protected: m.distress_protected,
                flagged: m.flagged_users,
                flagged_protected: m.flagged_protected,
                opted_out: m.opted_out_users,
                opted_out_protected: m.opted_out_protected,
                wellbeing_users: m.wellbeing_users,
                wellbeing_holds: m.held(Reason::Wellbeing),
                crisis_holds: m.crisis_holds,
            },
        }
    }
}

/// One archetype's counts, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArchetypeJson {
    /// Display name.
    pub name: String,
    /// Weight in the mix.
    pub weight: f64,
    /// The counts.
    #[serde(flatten)]
    pub metrics: MetricsJson,
}

/// A sampled user, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleJson {
    /// The user's index (open it with `--user N --scenario-out FILE`).
    pub user: u64,
    /// Archetype id.
    pub archetype: String,
    /// An outcome the user had: `sent` or a reason for holding back.
    pub outcome: Reason,
}

/// A composed nudge, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextJson {
    /// The user's index.
    pub user: u64,
    /// Archetype id.
    pub archetype: String,
    /// RFC 3339 UTC.
    pub at: String,
    /// `sent`, or the composer's reason for holding it back.
    pub reason: Reason,
    /// The text, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The JSON object `relance population --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PopulationJson {
    /// Number of users.
    pub users: u64,
    /// Length of the run in days.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// First day of the run (YYYY-MM-DD).
    pub start: String,
    /// The persona's id.
    pub persona: String,
    /// The policy's name.
    pub policy: String,
    /// The mix's name.
    pub mix: String,
    /// Counts over every archetype.
    #[serde(flatten)]
    pub total: MetricsJson,
    /// Counts per archetype id.
    pub per_archetype: BTreeMap<String, ArchetypeJson>,
    /// Users worth opening.
    pub samples: Vec<SampleJson>,
    /// Composed nudges of some sampled users (with `--texts`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<TextJson>,
    /// Problems that did not stop the run.
    pub warnings: Vec<String>,
}

/// The JSON form of a report.
pub fn population_json(report: &PopulationReport) -> PopulationJson {
    let id = |a: usize| {
        report
            .archetypes
            .get(a)
            .map_or_else(String::new, |x| x.id.clone())
    };
    PopulationJson {
        users: report.users,
        days: report.days,
        seed: report.seed,
        start: report.start.to_string(),
        persona: report.persona.clone(),
        policy: report.policy.clone(),
        mix: report.mix.clone(),
        total: MetricsJson::of(&report.total()),
        per_archetype: report
            .archetypes
            .iter()
            .zip(&report.per_archetype)
            .map(|(a, m)| {
                (
                    a.id.clone(),
                    ArchetypeJson {
                        name: a.name.clone(),
                        weight: a.weight,
                        metrics: MetricsJson::of(m),
                    },
                )
            })
            .collect(),
        samples: report
            .samples
            .iter()
            .map(|s| SampleJson {
                user: s.index,
                archetype: id(s.archetype),
                outcome: s.reason,
            })
            .collect(),
        texts: report
            .texts
            .iter()
            .map(|t| TextJson {
                user: t.index,
                archetype: id(t.archetype),
                at: instant(t.at_secs).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                reason: t.reason,
                text: t.text.clone(),
            })
            .collect(),
        warnings: report.warnings.clone(),
    }
}

/// Differences between two runs of the same population (second minus first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DifferenceJson {
    /// Messages users sent (nudges answered add sessions; opt-outs and lapses remove some).
    pub user_messages: i64,
    /// Decisions.
    pub decisions: i64,
    /// Nudges sent.
    pub sent: i64,
    /// Nudges held back, by reason.
    pub held_back: BTreeMap<&'static str, i64>,
    /// Users who received at least one nudge.
    pub nudged_users: i64,
    /// Nudges answered.
    pub answered: i64,
    /// Answer rate (a difference of shares).
    pub answer_rate: f64,
    /// Nudges answered with an opt-out word.
    pub opted_out_after_nudge: i64,
    /// Users who came back within 48 hours of a nudge.
    pub returned_within_48h: i64,
    /// Users who drifted away and answered a nudge.
    pub revived_users: i64,
    /// Minors who received a nudge.
    pub minors_nudged: i64,
    /// Users who sent an opt-out word.
    pub opted_out_users: i64,
    /// Nudges sent per user (a difference of means).
    pub sent_per_user: f64,
    /// Differences of `sent` per archetype id.
    pub sent_per_archetype: BTreeMap<String, i64>,
}

fn diff(a: u64, b: u64) -> i64 {
    b as i64 - a as i64
}

/// The differences from `base` to `other`.
pub fn difference(base: &PopulationReport, other: &PopulationReport) -> DifferenceJson {
    let (a, b) = (base.total(), other.total());
    DifferenceJson {
        user_messages: diff(a.user_messages, b.user_messages),
        decisions: diff(a.decisions, b.decisions),
        sent: diff(a.sent, b.sent),
        held_back: Reason::ALL
            .iter()
            .filter(|r| **r != Reason::Sent)
            .map(|r| (r.as_str(), diff(a.held(*r), b.held(*r))))
            .collect(),
        nudged_users: diff(a.nudged_users, b.nudged_users),
        answered: diff(a.answered, b.answered),
        answer_rate: b.answer_rate() - a.answer_rate(),
        opted_out_after_nudge: diff(a.opted_out_after_nudge, b.opted_out_after_nudge),
        returned_within_48h: diff(a.returned_within_48h, b.returned_within_48h),
        revived_users: diff(a.revived_users, b.revived_users),
        minors_nudged: diff(a.minors_nudged, b.minors_nudged),
        opted_out_users: diff(a.opted_out_users, b.opted_out_users),
        sent_per_user: ratio(b.sent, b.users) - ratio(a.sent, a.users),
        sent_per_archetype: base
            .archetypes
            .iter()
            .zip(base.per_archetype.iter().zip(&other.per_archetype))
            .map(|(info, (x, y))| (info.id.clone(), diff(x.sent, y.sent)))
            .collect(),
    }
}

/// The JSON object of `relance population --compare`: the first run's fields, then `compare`
/// (the second run) and `difference` (second minus first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonJson {
    /// The first run.
    #[serde(flatten)]
    pub base: PopulationJson,
    /// The second run, same population and seed, under the other policy.
    pub compare: PopulationJson,
    /// Second minus first.
    pub difference: DifferenceJson,
}

/// The JSON form of two runs compared.
pub fn comparison_json(base: &PopulationReport, other: &PopulationReport) -> ComparisonJson {
    ComparisonJson {
        base: population_json(base),
        compare: population_json(other),
        difference: difference(base, other),
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(a: u64, b: u64) -> String {
    format!("{:.1}%", 100.0 * ratio(a, b))
}

fn bar(n: u64, max: u64, width: usize) -> String {
    let len = if max == 0 {
        0
    } else {
        ((n as f64 / max as f64) * width as f64).round() as usize
    };
    "█".repeat(len)
}

/// The human-readable summary of a run.
pub fn population_text(report: &PopulationReport) -> String {
    let t = report.total();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} users × {} days from {} (mix {}, seed {}), persona {} under policy {}",
        thousands(report.users),
        report.days,
        report.start,
        report.mix,
        report.seed,
        report.persona,
        report.policy
    );
    let _ = writeln!(
        out,
        "  {} user messages, {} decisions: {} sent, {} held back",
        thousands(t.user_messages),
        thousands(t.decisions),
        thousands(t.sent),
        thousands(t.held_back_total())
    );
    let mut reasons: Vec<(Reason, u64)> = Reason::ALL
        .iter()
        .map(|r| (*r, t.held(*r)))
        .filter(|(r, n)| *r != Reason::Sent && *n > 0)
        .collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (reason, n) in reasons {
        let _ = writeln!(
            out,
            "    held back {:<22} {:>12}  {}",
            reason.as_str(),
            thousands(n),
            percent(n, t.decisions)
        );
    }
    let _ = writeln!(
        out,
        "  {} users nudged ({} of users), {:.2} nudges per user; {} answered ({}), median delay {}",
        thousands(t.nudged_users),
        percent(t.nudged_users, t.users),
        ratio(t.sent, t.users),
        thousands(t.answered),
        percent(t.answered, t.sent),
        t.answer_delay_median_minutes()
            .map_or_else(|| "–".to_owned(), |m| format!("{m} min"))
    );
    let _ = writeln!(
        out,
        "  {} users came back within 48 h of a nudge ({} of nudged users), {} came back after drifting away, {} opted out in answer",
        thousands(t.returned_within_48h),
        percent(t.returned_within_48h, t.nudged_users),
        thousands(t.revived_users),
        thousands(t.opted_out_after_nudge)
    );
    let _ = writeln!(
        out,
        "  protected: {} of {} minors (nudged before or without their age known: {}), {} of {} users in distress (crisis holds: {}), {} of {} flagged users, {} of {} opted-out users; wellbeing holds {} ({} users)",
        thousands(t.minors_protected),
        thousands(t.minors),
        thousands(t.minors_nudged),
        thousands(t.distress_protected),
        thousands(t.distressed),
        thousands(t.crisis_holds),
        thousands(t.flagged_protected),
        thousands(t.flagged_users),
        thousands(t.opted_out_protected),
        thousands(t.opted_out_users),
        thousands(t.held(Reason::Wellbeing)),
        thousands(t.wellbeing_users)
    );
    let _ = writeln!(out, "\n  delivery by local hour");
    let max = t.by_local_hour.iter().copied().max().unwrap_or(0);
    for (h, n) in t.by_local_hour.iter().enumerate() {
        if *n > 0 {
            let _ = writeln!(
                out,
                "    {h:02}h {:>11}  {}",
                thousands(*n),
                bar(*n, max, 40)
            );
        }
    }
    let _ = writeln!(out, "\n  nudges per week");
    let weeks: Vec<u64> = t.per_day.chunks(7).map(|w| w.iter().sum()).collect();
    let max = weeks.iter().copied().max().unwrap_or(0);
    for (w, n) in weeks.iter().enumerate() {
        let _ = writeln!(
            out,
            "    week {:>2} {:>11}  {}",
            w + 1,
            thousands(*n),
            bar(*n, max, 40)
        );
    }
    let _ = writeln!(
        out,
        "\n  {:<22} {:>9} {:>12} {:>10} {:>10} {:>8} {:>9}",
        "archetype", "users", "messages", "sent", "held", "answer", "returned"
    );
    for (a, m) in report.archetypes.iter().zip(&report.per_archetype) {
        let _ = writeln!(
            out,
            "  {:<22} {:>9} {:>12} {:>10} {:>10} {:>8} {:>9}",
            a.id,
            thousands(m.users),
            thousands(m.user_messages),
            thousands(m.sent),
            thousands(m.held_back_total()),
            percent(m.answered, m.sent),
            percent(m.returned_within_48h, m.nudged_users)
        );
    }
    let sent: Vec<String> = report
        .samples
        .iter()
        .filter(|s| s.reason == Reason::Sent)
        .take(SAMPLES_PER_KIND * 2)
        .map(|s| format!("#{}", s.index))
        .collect();
    if !sent.is_empty() {
        let _ = writeln!(
            out,
            "\n  users to open (--user N --scenario-out FILE): nudged {}",
            sent.join(", ")
        );
    }
    for text in &report.texts {
        let _ = writeln!(
            out,
            "  #{} {}: {}",
            text.index,
            instant(text.at_secs).format("%Y-%m-%d %H:%M UTC"),
            text.text.as_deref().unwrap_or(text.reason.as_str())
        );
    }
    for w in &report.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}

/// The human-readable comparison of two runs.
pub fn comparison_text(base: &PopulationReport, other: &PopulationReport) -> String {
    let d = difference(base, other);
    let (a, b) = (base.total(), other.total());
    let mut out = population_text(base);
    out.push('\n');
    out.push_str(&population_text(other));
    let _ = writeln!(
        out,
        "\n{} vs {} (same users, same seed)",
        other.policy, base.policy
    );
    let row = |out: &mut String, label: &str, x: u64, y: u64| {
        let _ = writeln!(
            out,
            "  {label:<34} {:>12} {:>12} {:>+12}",
            thousands(x),
            thousands(y),
            diff(x, y)
        );
    };
    let _ = writeln!(
        out,
        "  {:<34} {:>12} {:>12} {:>12}",
        "", base.policy, other.policy, "difference"
    );
    row(&mut out, "nudges sent", a.sent, b.sent);
    row(&mut out, "users nudged", a.nudged_users, b.nudged_users);
    row(&mut out, "nudges answered", a.answered, b.answered);
    row(
        &mut out,
        "users back within 48 h",
        a.returned_within_48h,
        b.returned_within_48h,
    );
    row(
        &mut out,
        "users back after drifting away",
        a.revived_users,
        b.revived_users,
    );
    row(
        &mut out,
        "opt-outs in answer to a nudge",
        a.opted_out_after_nudge,
        b.opted_out_after_nudge,
    );
    row(
        &mut out,
        "users who opted out",
        a.opted_out_users,
        b.opted_out_users,
    );
    row(&mut out, "minors nudged", a.minors_nudged, b.minors_nudged);
    row(&mut out, "user messages", a.user_messages, b.user_messages);
    let _ = writeln!(
        out,
        "  {:<34} {:>12} {:>12} {:>+11.1}pt",
        "answer rate",
        percent(a.answered, a.sent),
        percent(b.answered, b.sent),
        100.0 * d.answer_rate
    );
    out
}
