//! Reports for stakeholders in one call: a replay already made, as CSV, JSON or HTML, written
//! atomically. `relance report` and the studio's "Export report…" (which exports the replay it
//! shows) both use [`write_report`].

use std::path::Path;

use serde_json::Value;

use super::html::{HtmlReport, report_html};
use crate::engine::Replay;
use crate::model::diagnostics::{LoadError, write_atomically};
use crate::model::{Persona, Scenario};

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// One row per decision.
    Csv,
    /// The `simulate --json` object.
    Json,
    /// The self-contained HTML report.
    Html,
}

impl ReportFormat {
    /// Every format, in menu order.
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Html, ReportFormat::Csv, ReportFormat::Json];

    /// The name on the command line and the file extension.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
        }
    }

    /// The format of a name or extension (`htm` is accepted).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(ReportFormat::Csv),
            "json" => Some(ReportFormat::Json),
            "html" | "htm" => Some(ReportFormat::Html),
            _ => None,
        }
    }
}

/// What a report is made from.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// The persona.
    pub persona: &'a Persona,
    /// The persona's avatar (PNG), for the HTML report.
    pub avatar_png: Option<&'a [u8]>,
    /// The scenario replayed.
    pub scenario: &'a Scenario,
    /// Its replay (the policy applied is the replay's).
    pub replay: &'a Replay,
    /// A population summary (`relance population --json`), shown in the HTML report.
    pub population: Option<&'a Value>,
}

/// Renders the report of the replay in `format`.
pub fn render_report(input: &ReportInput<'_>, format: ReportFormat) -> String {
    match format {
        ReportFormat::Csv => super::csv::decisions_csv(input.scenario, input.replay),
        ReportFormat::Json => {
            super::simulation::simulation_json_text(input.persona, input.scenario, input.replay)
                .unwrap_or_else(|_| "\n".to_owned())
        }
        ReportFormat::Html => report_html(&HtmlReport {
            persona: input.persona,
            avatar_png: input.avatar_png,
            scenario: input.scenario,
            replay: input.replay,
            population: input.population,
        }),
    }
}

/// Renders the report and writes it to `out` atomically.
pub fn write_report(
    input: &ReportInput<'_>,
    format: ReportFormat,
    out: &Path,
) -> Result<(), LoadError> {
    write_atomically(out, render_report(input, format).as_bytes())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::replay::{ReplayOptions, replay};

    /// A report shows the replay it is given, not one of its own: a replay with one user's
    /// decisions left out gives a report without them.
    #[test]
    fn a_report_shows_the_replay_it_is_given() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let persona = Persona::load(&root.join("personas/cinema-maestro.ron")).unwrap();
        let scenario = Scenario::load(&root.join("assets/scenarios/demo-cinema.json")).unwrap();
        let policy = persona.policy.resolve().unwrap();
        let full = replay(&persona, &policy, &scenario, ReplayOptions::default());
        let mut partial = full.clone();
        let dropped = partial.users.remove(0);
        assert!(!dropped.decisions.is_empty());
        let dropped_id = &scenario.users[dropped.user].id;
        let input = |replay| ReportInput {
            persona: &persona,
            avatar_png: None,
            scenario: &scenario,
            replay,
            population: None,
        };
        for format in [ReportFormat::Csv, ReportFormat::Json] {
            let whole = render_report(&input(&full), format);
            let part = render_report(&input(&partial), format);
            assert!(whole.contains(dropped_id.as_str()), "{format:?}");
            assert!(!part.contains(dropped_id.as_str()), "{format:?}");
        }
        let decisions =
            |replay: &Replay| -> usize { replay.users.iter().map(|u| u.decisions.len()).sum() };
        let csv = render_report(&input(&partial), ReportFormat::Csv);
        assert_eq!(csv.lines().count(), 1 + decisions(&partial));
        // The HTML report has one article per decision (and shows every user's messages on
        // its timeline).
        for replay in [&full, &partial] {
            let html = render_report(&input(replay), ReportFormat::Html);
            assert_eq!(
                html.matches("<article class=\"decision").count(),
                decisions(replay)
            );
        }
    }
}
