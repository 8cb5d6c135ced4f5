//! The stakeholder report: one self-contained HTML file (no external resource, readable offline,
//! printable) with the persona card, the policy in plain sentences, the timeline as inline SVG,
//! every decision with its trace, and a population summary when one is given.
//!
//! The HTML is also well-formed XML (every element closed, attributes quoted, text escaped), so any
//! XML parser can check it.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value;

use super::markup::escape;
use super::palette;
use super::svg::timeline_svg;
use crate::engine::trace::decision_trace;
use crate::engine::{Outcome, Reason, Replay, UserFacts, checker_for};
use crate::model::{Persona, Scenario};

/// What the HTML report shows.
#[derive(Clone, Copy, Debug)]
pub struct HtmlReport<'a> {
    /// The persona.
    pub persona: &'a Persona,
    /// The persona's avatar (PNG bytes), embedded as a data URI.
    pub avatar_png: Option<&'a [u8]>,
    /// The scenario replayed.
    pub scenario: &'a Scenario,
    /// The replay (its policy is the one described).
    pub replay: &'a Replay,
    /// A population summary (`relance population --json`), shown as tables.
    pub population: Option<&'a Value>,
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
.sub { color: #555; margin-top: 0; }
.card { display: flex; gap: 1.2rem; align-items: flex-start; }
.card img { width: 128px; height: 128px; object-fit: cover; border-radius: 8px; flex: none; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; color: #444; }
dd { margin: 0; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
.decision { border: 1px solid #ddd; border-left: 6px solid; border-radius: 4px; padding: 0.4rem 0.8rem; margin: 0.6rem 0; break-inside: avoid; }
.badge { font-weight: 700; text-transform: uppercase; font-size: 0.8rem; }
blockquote { margin: 0.4rem 0; padding: 0.3rem 0.8rem; background: #f3f7f3; border-radius: 4px; }
.trace { margin: 0.3rem 0; padding-left: 1.2rem; font-size: 0.92rem; }
.crisis { font-weight: 600; }
.timeline { border: 1px solid #eee; }
footer { margin-top: 3rem; color: #777; font-size: 0.85rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
";

/// The style sheet: the fixed rules, then the palette's colours (shared with the studio) for
/// each outcome, darkened where they colour text on the white page.
fn style() -> String {
    let mut css = STYLE.to_owned();
    for reason in Reason::ALL {
        let colour = palette::reason(reason);
        let _ = writeln!(
            css,
            ".decision.{name} {{ border-left-color: {}; }} .{name} .badge {{ color: {}; }}",
            colour.hex(),
            colour.on_light().hex(),
            name = reason_class(reason)
        );
    }
    let fail = palette::FAIL.on_light().hex();
    let _ = writeln!(
        css,
        ".trace .fail {{ color: {fail}; }} .crisis {{ color: {fail}; }}"
    );
    css
}

/// The CSS class of a decision with this reason (`reason-too-few-messages`).
fn reason_class(reason: Reason) -> String {
    format!("reason-{}", reason.as_str().replace('_', "-"))
}

fn dl_row(out: &mut String, term: &str, value: &str) {
    if !value.trim().is_empty() {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(value));
    }
}

fn persona_html(out: &mut String, persona: &Persona, avatar_png: Option<&[u8]>) {
    let lang = persona.first_language();
    out.push_str("<section id=\"persona\"><h2>Persona</h2><div class=\"card\">");
    if let Some(png) = avatar_png {
        let _ = write!(
            out,
            "<img src=\"data:image/png;base64,{}\" alt=\"{}\"/>",
            base64::engine::general_purpose::STANDARD.encode(png),
            escape(&format!("Avatar of {}", persona.name))
        );
    }
    let _ = write!(out, "<div><h3>{}</h3>", escape(&persona.name));
    if let Some(tagline) = persona
        .tagline
        .get(&lang)
        .or_else(|| persona.tagline.values().next())
    {
        let _ = write!(out, "<p><em>{}</em></p>", escape(tagline));
    }
    out.push_str("<dl>");
    for (l, text) in &persona.description {
        dl_row(out, &format!("description ({l})"), text);
    }
    dl_row(
        out,
        "languages",
        &persona
            .languages
            .iter()
            .map(|l| l.native_name())
            .collect::<Vec<_>>()
            .join(", "),
    );
    dl_row(out, "traits", &persona.traits.join(", "));
    dl_row(
        out,
        "tone",
        &format!(
            "warmth {:.1}, enthusiasm {:.1}, {:?} in French, emoji {:?}",
            persona.tone.warmth,
            persona.tone.enthusiasm,
            persona.tone.formality,
            persona.tone.emoji
        )
        .to_lowercase(),
    );
    for (l, lines) in &persona.greetings {
        dl_row(out, &format!("greetings ({l})"), &lines.join(" · "));
    }
    for (l, lines) in &persona.signoffs {
        dl_row(out, &format!("sign-offs ({l})"), &lines.join(" · "));
    }
    let topics: Vec<String> = persona
        .topics
        .iter()
        .map(|t| t.name.get(&lang).cloned().unwrap_or_else(|| t.id.clone()))
        .collect();
    dl_row(out, "topics", &topics.join(", "));
    dl_row(
        out,
        "templates",
        &format!(
            "{} follow-up template(s), {} approved WhatsApp template(s)",
            persona.templates.len(),
            persona.whatsapp_templates.len()
        ),
    );
    dl_row(out, "never raises", &persona.forbidden_topics.join(", "));
    let card = &persona.card;
    dl_row(out, "personality", &card.personality);
    dl_row(out, "scenario", &card.scenario);
    dl_row(out, "creator", &card.creator);
    dl_row(out, "version", &card.character_version);
    dl_row(out, "tags", &card.tags.join(", "));
    dl_row(out, "creator notes", &card.creator_notes);
    out.push_str("</dl></div></div></section>");
}

fn policy_html(out: &mut String, replay: &Replay) {
    let policy = &replay.policy;
    let _ = write!(
        out,
        "<section id=\"policy\"><h2>Policy {}</h2><ol>",
        escape(&policy.name)
    );
    for (_, sentence) in policy.sentences() {
        let _ = write!(out, "<li>{}</li>", escape(&sentence));
    }
    out.push_str("</ol></section>");
}

fn summary_html(out: &mut String, replay: &Replay) {
    let (sent, held) = replay.totals();
    out.push_str("<section id=\"summary\"><h2>Summary</h2><table><tr><th>outcome</th><th>decisions</th></tr>");
    for reason in Reason::ALL {
        let n = replay
            .users
            .iter()
            .flat_map(|u| &u.decisions)
            .filter(|d| d.reason == reason)
            .count();
        if n > 0 {
            let label = if reason == Reason::Sent {
                "sent".to_owned()
            } else {
                format!("held back: {}", reason.as_str())
            };
            let _ = write!(out, "<tr><td>{}</td><td>{n}</td></tr>", escape(&label));
        }
    }
    let _ = write!(
        out,
        "<tr><th>total</th><th>{}</th></tr></table><p>{sent} sent, {held} held back.</p></section>",
        sent + held
    );
}

fn decisions_html(out: &mut String, persona: &Persona, scenario: &Scenario, replay: &Replay) {
    let checker = checker_for(persona);
    out.push_str("<section id=\"decisions\"><h2>Decisions</h2>");
    for ud in &replay.users {
        let Some(user) = scenario.users.get(ud.user) else {
            continue;
        };
        let _ = write!(
            out,
            "<h3>{} <small>({}, {}, {}{})</small></h3>",
            escape(&user.name),
            escape(&user.id),
            escape(user.timezone.name()),
            escape(&user.locale),
            user.age.map(|a| format!(", {a} years")).unwrap_or_default()
        );
        if ud.decisions.is_empty() {
            out.push_str("<p>No decision: the user never went quiet long enough.</p>");
            continue;
        }
        let facts = UserFacts::from_user(user, &replay.policy, &checker);
        for (i, d) in ud.decisions.iter().enumerate() {
            let (class, badge) = match d.outcome {
                Outcome::Sent => ("sent", "sent"),
                Outcome::Suppressed => ("suppressed", "held back"),
            };
            let reason = reason_class(d.reason);
            let _ = write!(
                out,
                "<article class=\"decision {class} {reason}\" id=\"{}\"><p><span class=\"badge\">{badge}</span> {} UTC · {} ({}) · {} · {}</p>",
                escape(&format!("d-{}-{}", user.id, i + 1)),
                d.at.format("%Y-%m-%d %H:%M"),
                d.at.with_timezone(&user.timezone).format("%Y-%m-%d %H:%M"),
                escape(user.timezone.name()),
                d.channel,
                escape(d.reason.as_str())
            );
            if let Some(text) = d.text() {
                let _ = write!(out, "<blockquote>{}</blockquote>", escape(text));
            }
            if let Some(r) = &d.crisis_referral {
                let _ = write!(
                    out,
                    "<p class=\"crisis\">Crisis: a human-safety protocol must take over. Referral: {}</p>",
                    escape(r)
                );
            }
            out.push_str("<ol class=\"trace\">");
            for step in decision_trace(d, &replay.policy, user, Some(&facts)) {
                let _ = write!(
                    out,
                    "<li class=\"{}\">{} <strong>{}</strong>: {}</li>",
                    if step.passed { "pass" } else { "fail" },
                    if step.passed { "✓" } else { "✗" },
                    escape(&step.rule),
                    escape(&step.detail)
                );
            }
            out.push_str("</ol></article>");
        }
    }
    out.push_str("</section>");
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("—".to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.3}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned(),
            _ => n.to_string(),
        }),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A JSON value as nested tables: objects as key/value rows, lists of objects as one table with
/// a column per key, lists of scalars joined.
fn value_html(out: &mut String, v: &Value, depth: usize) {
    if let Some(s) = scalar(v) {
        out.push_str(&escape(&s));
        return;
    }
    if depth > 4 {
        out.push_str(&format!("<code>{}</code>", escape(&v.to_string())));
        return;
    }
    match v {
        Value::Object(map) => {
            out.push_str("<table>");
            for (k, value) in map {
                let _ = write!(out, "<tr><th>{}</th><td>", escape(k));
                value_html(out, value, depth + 1);
                out.push_str("</td></tr>");
            }
            out.push_str("</table>");
        }
        Value::Array(items) if items.iter().all(|i| scalar(i).is_some()) => {
            let joined: Vec<String> = items.iter().filter_map(scalar).collect();
            out.push_str(&escape(&joined.join(", ")));
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut keys: Vec<&String> = Vec::new();
            for item in items.iter().filter_map(Value::as_object) {
                for k in item.keys() {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            out.push_str("<table><tr>");
            for k in &keys {
                let _ = write!(out, "<th>{}</th>", escape(k));
            }
            out.push_str("</tr>");
            for item in items.iter().filter_map(Value::as_object) {
                out.push_str("<tr>");
                for k in &keys {
                    out.push_str("<td>");
                    if let Some(value) = item.get(*k) {
                        value_html(out, value, depth + 1);
                    }
                    out.push_str("</td>");
                }
                out.push_str("</tr>");
            }
            out.push_str("</table>");
        }
        Value::Array(items) => {
            out.push_str("<ol>");
            for item in items {
                out.push_str("<li>");
                value_html(out, item, depth + 1);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
        _ => {}
    }
}

/// The complete HTML document.
pub fn report_html(report: &HtmlReport<'_>) -> String {
    let HtmlReport {
        persona,
        avatar_png,
        scenario,
        replay,
        population,
    } = *report;
    let (sent, held) = replay.totals();
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("{} × {}: nudge report", persona.name, scenario.name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{}</title><style>{}</style></head><body>",
        escape(&title),
        style()
    );
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"sub\">Scenario “{}” under policy {}: {sent} nudge(s) sent, {held} held back.</p>",
        escape(&persona.name),
        escape(&scenario.name),
        escape(&replay.policy.name)
    );
    if !scenario.description.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(&scenario.description));
    }
    out.push_str("</header>");
    persona_html(&mut out, persona, avatar_png);
    policy_html(&mut out, replay);
    summary_html(&mut out, replay);
    let _ = write!(
        out,
        "<section id=\"timeline\"><h2>Timeline</h2>{}</section>",
        timeline_svg(scenario, replay)
    );
    decisions_html(&mut out, persona, scenario, replay);
    if let Some(population) = population {
        out.push_str("<section id=\"population\"><h2>Population summary</h2>");
        value_html(&mut out, population, 0);
        out.push_str("</section>");
    }
    let _ = writeln!(
        out,
        "<footer>Made with Relance {}: every decision is the engine's, replayed on simulated time.</footer></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{ReplayOptions, replay};

    fn demo_report() -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona =
            Persona::load(&root.join("personas/cinema-maestro.ron")).expect("shipped persona");
        let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json"))
            .expect("shipped scenario");
        let result = replay(
            &persona,
            &persona
                .policy
                .resolve()
                .expect("the persona names a known policy"),
            &scenario,
            ReplayOptions::default(),
        );
        report_html(&HtmlReport {
            persona: &persona,
            avatar_png: None,
            scenario: &scenario,
            replay: &result,
            population: None,
        })
    }

    #[test]
    fn outcomes_are_coloured_from_the_shared_palette() {
        let html = demo_report();
        let sent = palette::SENT;
        assert!(
            html.contains(&format!(
                ".decision.reason-sent {{ border-left-color: {}; }} .reason-sent .badge {{ color: {}; }}",
                sent.hex(),
                sent.on_light().hex()
            )),
            "the sent rule is missing"
        );
        let few = palette::reason(Reason::TooFewMessages);
        assert!(html.contains(&format!(
            ".decision.reason-too-few-messages {{ border-left-color: {};",
            few.hex()
        )));
        assert!(html.contains("class=\"decision sent reason-sent\""));
        assert!(html.contains("class=\"decision suppressed reason-too-few-messages\""));
        // The old report-only greens and reds are gone.
        assert!(!html.contains("#2e8b57") && !html.contains("#cc3b3b"));
    }
}
