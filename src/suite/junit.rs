//! Suite results as JUnit XML, the format CI services show as test results: one `testsuite` per
//! persona and scenario, one `testcase` per expectation, a `failure` with what was expected,
//! what happened and why. The persona's warnings (its safety problems, placed in its file) go in
//! each of its suites' `system-err`, where CI services show a suite's log. Written by hand: the
//! format is small and only needs text escaping.

use std::fmt::Write as _;

use super::PersonaRun;

/// `text` escaped for XML text and attribute values; characters XML 1.0 forbids are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Every run as one JUnit XML document.
pub fn to_junit(runs: &[PersonaRun]) -> String {
    let (passed, failed) = runs
        .iter()
        .map(PersonaRun::counts)
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"relance\" tests=\"{}\" failures=\"{failed}\">",
        passed + failed
    );
    for run in runs {
        let classname = escape(&run.id);
        match &run.suites {
            Err(e) => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"1\" failures=\"1\">",
                    escape(&run.path.display().to_string())
                );
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{classname}\" name=\"load\"><failure message=\"{}\"/></testcase>",
                    escape(e)
                );
                out.push_str("  </testsuite>\n");
            }
            Ok(suites) => {
                for suite in suites {
                    let (p, f) = suite.counts();
                    let _ = writeln!(
                        out,
                        "  <testsuite name=\"{}: {}\" tests=\"{}\" failures=\"{f}\">",
                        escape(&run.id),
                        escape(&suite.path.display().to_string()),
                        p + f
                    );
                    match &suite.results {
                        Err(e) => {
                            let _ = writeln!(
                                out,
                                "    <testcase classname=\"{classname}\" name=\"load\"><failure message=\"{}\"/></testcase>",
                                escape(e)
                            );
                        }
                        Ok(results) => {
                            for r in results {
                                let name = escape(&r.name);
                                if r.passed {
                                    let _ = writeln!(
                                        out,
                                        "    <testcase classname=\"{classname}\" name=\"{name}\"/>"
                                    );
                                } else {
                                    let body = format!(
                                        "expected: {}\nactual: {}\nwhy: {}",
                                        r.expected, r.actual, r.trace
                                    );
                                    let _ = writeln!(
                                        out,
                                        "    <testcase classname=\"{classname}\" name=\"{name}\"><failure message=\"{}\">{}</failure></testcase>",
                                        escape(&r.actual),
                                        escape(&body)
                                    );
                                }
                            }
                        }
                    }
                    system_err(&mut out, run);
                    out.push_str("  </testsuite>\n");
                }
            }
        }
    }
    out.push_str("</testsuites>\n");
    out
}

/// The run's warnings, one per line and placed in the persona file, as a `system-err` element;
/// nothing when there are none.
fn system_err(out: &mut String, run: &PersonaRun) {
    if run.warnings.is_empty() {
        return;
    }
    let lines: Vec<String> = run
        .warnings
        .iter()
        .map(|w| w.display_in(&run.path).to_string())
        .collect();
    let _ = writeln!(
        out,
        "    <system-err>{}</system-err>",
        escape(&lines.join("\n"))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_suite_of_a_persona_logs_its_warnings_escaped_one_a_line() {
        use crate::model::diagnostics::Diagnostic;
        use crate::suite::SuiteRun;
        let suite = |name: &str| SuiteRun {
            path: name.into(),
            results: Ok(Vec::new()),
        };
        let run = PersonaRun {
            path: "p.ron".into(),
            id: "p".to_owned(),
            warnings: vec![
                Diagnostic::warning("safety", "safety.allow", "phrase \"<a & b>\" is invalid")
                    .at(Some((3, 5))),
                Diagnostic::warning("safety", "safety.crisis_threshold", "too high"),
            ],
            suites: Ok(vec![suite("a.ron"), suite("b.ron")]),
        };
        let xml = to_junit(&[run]);
        let logged = "    <system-err>p.ron:3:5: warning[safety]: phrase &quot;&lt;a &amp; b&gt;&quot; is invalid (in safety.allow)&#10;p.ron: warning[safety]: too high (in safety.crisis_threshold)</system-err>\n";
        assert_eq!(xml.matches(logged).count(), 2, "{xml}");
        // Without warnings, no element.
        let quiet = PersonaRun {
            path: "q.ron".into(),
            id: "q".to_owned(),
            warnings: Vec::new(),
            suites: Ok(vec![suite("a.ron")]),
        };
        assert!(!to_junit(&[quiet]).contains("system-err"));
    }

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&apos;");
        assert_eq!(escape("x\u{1}y"), "xy");
    }
}
