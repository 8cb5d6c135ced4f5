//! Reports for stakeholders in one call: replay, then CSV, JSON or HTML, written atomically.
//! `relance report` and the studio's "Export report…" both use [`write_report`].

use std::path::Path;

use serde_json::Value;

use super::html::{HtmlReport, report_html};
use crate::engine::{ReplayOptions, replay};
use crate::model::diagnostics::{LoadError, write_atomically};
use crate::model::{Persona, Policy, Scenario};

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
    /// The scenario to replay.
    pub scenario: &'a Scenario,
    /// The policy to apply.
    pub policy: &'a Policy,
    /// A population summary (`relance population --json`), shown in the HTML report.
    pub population: Option<&'a Value>,
}

/// Replays the scenario and renders the report in `format`.
pub fn render_report(input: &ReportInput<'_>, format: ReportFormat) -> String {
    let result = replay(
        input.persona,
        input.policy,
        input.scenario,
        ReplayOptions::default(),
    );
    match format {
        ReportFormat::Csv => super::csv::decisions_csv(input.scenario, &result),
        ReportFormat::Json => {
            super::simulation::simulation_json_text(input.persona, input.scenario, &result)
                .unwrap_or_else(|_| "\n".to_owned())
        }
        ReportFormat::Html => report_html(&HtmlReport {
            persona: input.persona,
            avatar_png: input.avatar_png,
            scenario: input.scenario,
            replay: &result,
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
