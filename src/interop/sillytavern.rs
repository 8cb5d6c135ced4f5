//! SillyTavern chat logs (`.jsonl`): a header line (`user_name`, `character_name`,
//! `chat_metadata`), then one message per line with `name`, `is_user`, `send_date` and `mes`
//! (`is_system` messages are skipped and reported).
//!
//! `send_date` has been written several ways over SillyTavern's versions; all are read:
//! `"May 12, 2023 3:32pm"`, `"2023-05-12T15:32:10.123Z"`, `"2023-5-12 @15h 32m 10s 123ms"`, and Unix
//! times in seconds or milliseconds. Times without a zone are local to the given time zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::parsed_chat::{ChatMessage, LineProblem, ParsedChat, Skipped, local_to_utc};

/// Unix times above this are milliseconds.
const MILLISECONDS_ABOVE: f64 = 1e11;

fn from_unix(number: f64) -> Option<DateTime<Utc>> {
    let millis = if number > MILLISECONDS_ABOVE {
        number
    } else {
        number * 1000.0
    };
    Utc.timestamp_millis_opt(millis as i64).single()
}

/// `2023-5-12 @15h 32m 10s 123ms`, SillyTavern's "humanized" date.
fn humanized(s: &str) -> Option<NaiveDateTime> {
    let (date, time) = s.split_once('@')?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let mut parts = [0u32; 4];
    for token in time.split_whitespace() {
        let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
        let unit = &token[digits.len()..];
        let value: u32 = digits.parse().ok()?;
        let slot = match unit {
            "h" => 0,
            "m" => 1,
            "s" => 2,
            "ms" => 3,
            _ => return None,
        };
        parts[slot] = value;
    }
    let time = NaiveTime::from_hms_milli_opt(parts[0], parts[1], parts[2], parts[3])?;
    Some(date.and_time(time))
}

/// Reads a `send_date` value; local times are in `tz`.
pub fn parse_send_date(
    value: &Value,
    tz: Tz,
    line: usize,
    notes: &mut Vec<String>,
) -> Result<DateTime<Utc>, String> {
    let text = match value {
        Value::Number(n) => {
            return n
                .as_f64()
                .and_then(from_unix)
                .ok_or_else(|| format!("`send_date` {n} is not a Unix time"));
        }
        Value::String(s) => s.trim(),
        Value::Null => return Err("`send_date` is missing".to_owned()),
        other => return Err(format!("`send_date` is not a date: {other}")),
    };
    if let Ok(number) = text.parse::<f64>() {
        return from_unix(number).ok_or_else(|| format!("`send_date` {text} is not a Unix time"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| humanized(text))
    .or_else(|| {
        // "May 12, 2023 3:32pm" and its spaced or abbreviated forms.
        let spaced = text.replace("am", " AM").replace("pm", " PM");
        [
            "%B %d, %Y %I:%M %p",
            "%b %d, %Y %I:%M %p",
            "%B %d, %Y %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&spaced, f).ok())
    });
    match naive {
        Some(naive) => Ok(local_to_utc(naive, tz, line, notes)),
        None => Err(format!(
            "`send_date` \"{text}\" is not a date this importer knows"
        )),
    }
}

/// Parses a SillyTavern log; times without a zone are local to `tz`.
pub fn parse(text: &str, tz: Tz) -> ParsedChat {
    let mut out = ParsedChat::default();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => {
                out.problems.push(LineProblem {
                    line,
                    message: format!("not a JSON object: {e}"),
                });
                first = false;
                continue;
            }
        };
        let Some(obj) = value.as_object() else {
            out.problems.push(LineProblem {
                line,
                message: "not a JSON object".to_owned(),
            });
            first = false;
            continue;
        };
        if first && !obj.contains_key("mes") {
            first = false;
            out.user_name = obj
                .get("user_name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            out.bot_name = obj
                .get("character_name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            continue;
        }
        if first {
            out.notes
                .push("the log has no header line; names come from the messages".to_owned());
        }
        first = false;
        let Some(mes) = obj.get("mes").and_then(Value::as_str) else {
            out.problems.push(LineProblem {
                line,
                message: "the message has no `mes` text".to_owned(),
            });
            continue;
        };
        if obj.get("is_system").and_then(Value::as_bool) == Some(true) {
            out.skipped.push(Skipped::new(line, "system message", mes));
            continue;
        }
        let Some(is_user) = obj.get("is_user").and_then(Value::as_bool) else {
            out.problems.push(LineProblem {
                line,
                message: "the message has no `is_user` true or false".to_owned(),
            });
            continue;
        };
        let sender = obj
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| if is_user { "User" } else { "Bot" }.to_owned());
        let at = match parse_send_date(
            obj.get("send_date").unwrap_or(&Value::Null),
            tz,
            line,
            &mut out.notes,
        ) {
            Ok(at) => at,
            Err(message) => {
                out.problems.push(LineProblem { line, message });
                continue;
            }
        };
        out.messages.push(ChatMessage {
            line,
            at,
            sender,
            is_user: Some(is_user),
            text: mes.to_owned(),
            media: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_send_date_form_is_read() {
        let tz = chrono_tz::Europe::Paris;
        let expected = Utc.with_ymd_and_hms(2023, 5, 12, 13, 32, 0).single();
        let mut notes = Vec::new();
        for v in [
            serde_json::json!("May 12, 2023 3:32pm"),
            serde_json::json!("May 12, 2023 3:32 PM"),
            serde_json::json!("2023-05-12T13:32:00.000Z"),
            serde_json::json!("2023-5-12 @15h 32m 0s 0ms"),
            serde_json::json!(1683898320000u64),
            serde_json::json!(1683898320),
            serde_json::json!("1683898320000"),
        ] {
            let at = parse_send_date(&v, tz, 1, &mut notes).map_err(|e| format!("{v}: {e}"));
            assert_eq!(at.ok(), expected, "{v}");
        }
        assert!(parse_send_date(&serde_json::json!("yesterday"), tz, 1, &mut notes).is_err());
        assert!(parse_send_date(&Value::Null, tz, 1, &mut notes).is_err());
    }
}
