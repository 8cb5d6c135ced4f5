//! Every decision of a replay as CSV, one row per decision, for spreadsheets.
//!
//! Columns: `user`, `time_utc`, `time_local`, `timezone`, `outcome` (`sent` or `suppressed`),
//! `reason` (`sent` or the first failing rule), `channel`, `text` (sent decisions only). Times are
//! `YYYY-MM-DD HH:MM:SS`, which spreadsheets read as dates. Rows follow the scenario's users, each
//! in time order.

use crate::engine::Replay;
use crate::model::Scenario;

/// The header row.
pub const CSV_COLUMNS: [&str; 8] = [
    "user",
    "time_utc",
    "time_local",
    "timezone",
    "outcome",
    "reason",
    "channel",
    "text",
];

/// The CSV text of every decision of `replay` (a header row, then one row per decision).
pub fn decisions_csv(scenario: &Scenario, replay: &Replay) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<[String; 8]> = Vec::new();
    for ud in &replay.users {
        let Some(user) = scenario.users.get(ud.user) else {
            continue;
        };
        for d in &ud.decisions {
            rows.push([
                user.id.clone(),
                d.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                d.at.with_timezone(&user.timezone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                user.timezone.name().to_owned(),
                match d.outcome {
                    crate::engine::Outcome::Sent => "sent",
                    crate::engine::Outcome::Suppressed => "suppressed",
                }
                .to_owned(),
                d.reason.as_str().to_owned(),
                d.channel.as_str().to_owned(),
                d.text().unwrap_or("").to_owned(),
            ]);
        }
    }
    // Writing records into a Vec cannot fail; an error would only drop rows, so it is reported
    // in the text rather than panicking.
    let result = (|| -> Result<Vec<u8>, csv::Error> {
        writer.write_record(CSV_COLUMNS)?;
        for row in &rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
        writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    })();
    match result {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_default(),
        Err(e) => format!("error: {e}\n"),
    }
}
