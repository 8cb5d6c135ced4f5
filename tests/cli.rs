//! The command line on the shipped personas and scenarios: outcomes, the JSON contract, errors
//! and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod run;
use run::{path_str, relance, root, scratch, stderr, stdout};

fn simulate_json(persona: &str, scenario: &str, policy: Option<&str>) -> serde_json::Value {
    let mut args = vec![
        "simulate",
        "--persona",
        persona,
        "--scenario",
        scenario,
        "--json",
    ];
    if let Some(p) = policy {
        args.extend(["--policy", p]);
    }
    let o = relance(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("simulate --json prints one JSON object")
}

/// `(user id, reason)` of every decision, in output order.
fn reasons(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for u in v["users"].as_array().expect("users") {
        for d in u["decisions"].as_array().expect("decisions") {
            out.push((
                u["id"].as_str().expect("id").to_owned(),
                d["reason"].as_str().expect("reason").to_owned(),
            ));
        }
    }
    out
}

fn shipped(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
        .expect("shipped folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_file_checks_valid() {
    let mut args = vec!["check".to_owned()];
    for f in shipped("personas")
        .into_iter()
        .chain(shipped("personas/tests"))
        .chain(shipped("assets/scenarios"))
    {
        args.push(f.to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = relance(&args);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("invalid"), "{}", stdout(&o));
}

#[test]
fn every_shipped_scenario_gives_the_outcome_its_name_promises() {
    let maestro = "personas/cinema-maestro.ron";
    let s = |name: &str| format!("assets/scenarios/{name}");
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("sent.ron", &[("lea", "sent")]),
        ("too-few-messages.ron", &[("tom", "too_few_messages")]),
        ("quiet-hours-shift.ron", &[("noor", "sent")]),
        ("minor.ron", &[("jules", "minor"), ("sam", "minor")]),
        ("opted-out.ron", &[("marie", "opted_out")]),
        (
            "sensitive.ron",
            &[("alex", "sensitive"), ("camille", "sensitive")],
        ),
        ("wellbeing.ron", &[("hugo", "wellbeing")]),
        ("whatsapp.ron", &[("ines", "sent")]),
        ("pushy-contrast.ron", &[("nina", "sent")]),
        (
            "demo-chef.json",
            &[
                ("louise", "sent"),
                ("jack", "too_few_messages"),
                ("maya", "sent"),
                ("hugo", "opted_out"),
                ("ines", "minor"),
            ],
        ),
        (
            "demo-cinema.json",
            &[
                ("lea", "sent"),
                ("tom", "too_few_messages"),
                ("noor", "sent"),
                ("jules", "minor"),
                ("sam", "minor"),
                ("marie", "opted_out"),
                ("alex", "sensitive"),
            ],
        ),
    ];
    for (file, expected) in cases {
        let got = reasons(&simulate_json(maestro, &s(file), None));
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(u, r)| (u.to_string(), r.to_string()))
            .collect();
        assert_eq!(got, expected, "{file}");
    }
    // Every shipped scenario is covered above.
    assert_eq!(shipped("assets/scenarios").len(), cases.len());
}

#[test]
fn quiet_hours_shift_sends_at_nine_local() {
    let v = simulate_json(
        "personas/cinema-maestro.ron",
        "assets/scenarios/quiet-hours-shift.ron",
        None,
    );
    let d = &v["users"][0]["decisions"][0];
    // Noor is in London: 09:00 local is 09:00 UTC in January.
    assert_eq!(d["at"], "2026-01-11T09:00:00Z");
    assert!(
        d["trace"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("moved to 11 Jan 09:00")
    );
}

#[test]
fn pushy_sends_five_nudges_where_omni_sends_one() {
    let scenario = "assets/scenarios/pushy-contrast.ron";
    let omni = reasons(&simulate_json(
        "personas/cinema-maestro.ron",
        scenario,
        Some("omni"),
    ));
    let pushy = reasons(&simulate_json(
        "personas/cinema-maestro.ron",
        scenario,
        Some("pushy"),
    ));
    assert_eq!(omni.len(), 1);
    assert_eq!(pushy.len(), 5);
    assert!(pushy.iter().all(|(_, r)| r == "sent"));
}

#[test]
fn whatsapp_needs_an_approved_template() {
    let v = simulate_json(
        "personas/minimal.ron",
        "assets/scenarios/whatsapp.ron",
        None,
    );
    assert_eq!(
        reasons(&v),
        [("ines".to_owned(), "no_approved_template".to_owned())]
    );
    let v = simulate_json(
        "personas/cinema-maestro.ron",
        "assets/scenarios/whatsapp.ron",
        None,
    );
    let d = &v["users"][0]["decisions"][0];
    assert_eq!(d["reason"], "sent");
    // The template filled is one the maestro declares as approved, in the user's language.
    let maestro =
        relance::model::Persona::load(&root().join("personas/cinema-maestro.ron")).expect("loads");
    let name = d["channel_template"]
        .as_str()
        .expect("a WhatsApp template is named");
    assert!(
        maestro
            .whatsapp_templates
            .iter()
            .any(|t| t.name == name && t.lang == relance::model::Lang::Fr),
        "{name} is not an approved French template"
    );
}

#[test]
fn the_json_output_keeps_its_documented_shape() {
    let v = simulate_json(
        "personas/cinema-maestro.ron",
        "assets/scenarios/demo-cinema.json",
        None,
    );
    assert_eq!(v["policy"], "omni");
    for u in v["users"].as_array().expect("users") {
        assert!(u["id"].is_string());
        let decisions = u["decisions"].as_array().expect("decisions");
        let mut previous = String::new();
        for d in decisions {
            let at = d["at"].as_str().expect("at");
            assert!(at.ends_with('Z') && at.len() == 20, "RFC 3339 UTC: {at}");
            assert!(*at >= *previous, "decisions in time order");
            previous = at.to_owned();
            let outcome = d["outcome"].as_str().expect("outcome");
            let reason = d["reason"].as_str().expect("reason");
            assert!(["sent", "suppressed"].contains(&outcome));
            assert_eq!(outcome == "sent", reason == "sent");
            assert!(
                ["whatsapp", "messenger", "instagram"]
                    .contains(&d["channel"].as_str().expect("channel"))
            );
            assert_eq!(
                d.get("text").is_some(),
                outcome == "sent",
                "text for sent decisions only"
            );
            if let Some(text) = d.get("text") {
                assert!(!text.as_str().expect("text").trim().is_empty());
            }
            let trace = d["trace"].as_array().expect("trace");
            assert!(trace.len() >= 7);
            for step in trace {
                assert!(
                    step["rule"].is_string()
                        && step["passed"].is_boolean()
                        && step["detail"].is_string()
                );
            }
            if reason != "sent" && reason != "no_approved_template" {
                let failing = trace
                    .iter()
                    .find(|s| s["passed"] == false)
                    .expect("a failing step");
                assert_eq!(
                    failing["rule"], reason,
                    "the reason is the first failing rule"
                );
            }
        }
    }
    let alex = v["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == "alex")
        .expect("alex");
    assert!(
        alex["decisions"][0]["crisis_referral"]
            .as_str()
            .expect("referral")
            .contains("988")
    );
}

#[test]
fn text_output_shows_texts_and_reasons() {
    let o = relance(&[
        "simulate",
        "--persona",
        "personas/cinema-maestro.ron",
        "--scenario",
        "assets/scenarios/sent.ron",
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("1 sent, 0 held back"), "{out}");
    assert!(out.contains("Hans Zimmer"), "{out}");
}

#[test]
fn out_writes_the_file() {
    let dir = scratch("cli");
    let out = dir.join("result.json");
    let o = relance(&[
        "simulate",
        "--persona",
        "personas/chef.ron",
        "--scenario",
        "assets/scenarios/sent.ron",
        "--json",
        "--out",
        path_str(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("json");
    assert_eq!(v["users"][0]["decisions"][0]["reason"], "sent");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn explain_prints_the_full_trace_at_an_instant() {
    let o = relance(&[
        "explain",
        "--persona",
        "personas/cinema-maestro.ron",
        "--scenario",
        "assets/scenarios/too-few-messages.ron",
        "--user",
        "tom",
        "--at",
        "2026-01-08T12:00:00Z",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for rule in [
        "minor",
        "opted_out",
        "sensitive",
        "wellbeing",
        "window_expired",
        "too_few_messages",
        "quiet_hours",
    ] {
        assert!(
            out.contains(&format!("{rule}:")),
            "{rule} missing in\n{out}"
        );
    }
    assert!(
        out.contains("2 user messages in the 14 days before"),
        "{out}"
    );
    let o = relance(&[
        "explain",
        "--persona",
        "personas/cinema-maestro.ron",
        "--scenario",
        "assets/scenarios/sent.ron",
        "--user",
        "nobody",
        "--at",
        "2026-01-08T12:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no user `nobody`; the users are lea"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let o = relance(&["check", "tests/data/broken/syntax.ron"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("tests/data/broken/syntax.ron:5:"), "{err}");
}

#[test]
fn validation_reports_every_problem_at_once() {
    let o = relance(&["check", "tests/data/broken/invalid.ron"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("invalid.ron:4:5: error: the name is empty"),
        "{err}"
    );
    assert!(
        err.contains("invalid.ron:7:53: error: unknown placeholder `{film_title}`"),
        "{err}"
    );
    assert!(
        err.contains("invalid.ron:9:20: error: no preset is named `omnipotent`"),
        "{err}"
    );
}

#[test]
fn an_unknown_time_zone_is_reported_with_its_place() {
    let o = relance(&[
        "simulate",
        "--persona",
        "personas/minimal.ron",
        "--scenario",
        "tests/data/broken/bad-timezone.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad-timezone.json:4:"), "{err}");
    assert!(
        err.contains("unknown time zone `Mars/Olympus_Mons` for user `bob`"),
        "{err}"
    );
}

#[test]
fn exit_codes_distinguish_usage_from_invalid_input() {
    assert_eq!(relance(&["simulate"]).status.code(), Some(2));
    assert_eq!(
        relance(&["simulate", "--frobnicate"]).status.code(),
        Some(2)
    );
    let missing = relance(&[
        "simulate",
        "--persona",
        "nope.ron",
        "--scenario",
        "nope.json",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("nope.ron"));
    let bad_policy = relance(&[
        "simulate",
        "--persona",
        "personas/minimal.ron",
        "--scenario",
        "assets/scenarios/sent.ron",
        "--policy",
        "gentle",
    ]);
    assert_eq!(bad_policy.status.code(), Some(1));
    assert!(stderr(&bad_policy).contains("neither a preset"));
    assert_eq!(
        relance(&["check", "personas/minimal.ron"]).status.code(),
        Some(0)
    );
}

#[test]
fn strict_check_turns_lint_warnings_into_errors() {
    let o = relance(&["check", "tests/data/bad-personas/clingy.ron"]);
    assert_eq!(o.status.code(), Some(0), "warnings do not fail by default");
    let err = stderr(&o);
    for rule in [
        "clingy",
        "false_urgency",
        "claims_human",
        "romantic",
        "keep_talking",
        "no_ai_disclosure",
        "pushy_policy",
    ] {
        assert!(
            err.contains(&format!("warning[{rule}]")),
            "{rule} missing in\n{err}"
        );
    }
    assert_eq!(
        relance(&["check", "--strict", "tests/data/bad-personas/clingy.ron"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        relance(&[
            "check",
            "--strict",
            "personas/cinema-maestro.ron",
            "personas/chef.ron",
            "personas/minimal.ron"
        ])
        .status
        .code(),
        Some(0)
    );
}

/// The demo scenario with `count` users, its users repeated under new ids (`user-0`…).
fn demo_users(count: usize) -> serde_json::Value {
    let demo: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("assets/scenarios/demo-cinema.json")).unwrap(),
    )
    .unwrap();
    let mut big = demo.clone();
    let users = demo["users"].as_array().unwrap();
    big["users"] = (0..count)
        .map(|i| {
            let mut user = users[i % users.len()].clone();
            user["id"] = format!("user-{i}").into();
            user
        })
        .collect();
    big
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::Read as _;
    // A scenario whose JSON output is far larger than a pipe's buffer.
    let big = demo_users(300);
    let dir = scratch("pipe");
    let scenario = dir.join("big.json");
    std::fs::write(&scenario, big.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args([
            "simulate",
            "--persona",
            "personas/cinema-maestro.ron",
            "--json",
            "--scenario",
        ])
        .arg(&scenario)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The pipe's read end is dropped here, as `head` does.
    let out = child.wait_with_output().unwrap();
    assert_eq!(&head[..11], b"{\"policy\":\"");
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(stderr(&out), "");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_large_scenario_read_along_with_the_replay_still_reports_a_bad_user_and_leaves_the_output() {
    // A JSON scenario over the size from which `--json --out` reads users along with the replay.
    let mut big = demo_users(1500);
    big["until"] = "2026-03-01T00:00:00Z".into();
    let dir = scratch("large");
    let scenario = dir.join("large.json");
    let out = dir.join("out.json");
    let run = |scenario_text: &str| {
        assert!(scenario_text.len() > 1 << 20);
        std::fs::write(&scenario, scenario_text).unwrap();
        relance(&[
            "simulate",
            "--persona",
            "personas/cinema-maestro.ron",
            "--json",
            "--scenario",
            path_str(&scenario),
            "--out",
            path_str(&out),
        ])
    };
    let o = run(&big.to_string());
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v["users"].as_array().unwrap().len(), 1500);
    // User 1,000 of 1,500 names an unknown time zone: the error names it at its place, and the
    // output of the previous run is left as it was.
    big["users"][1000]["timezone"] = "Europe/Parris".into();
    let o = run(&big.to_string());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("large.json:1:") && err.contains("unknown time zone `Europe/Parris`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 2, "a temporary file was left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scratch folder for one test, removed by the test.
/// Runs `args` with a standard output whose reader is gone before the command writes.
fn relance_into_closed_pipe(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn every_command_ends_quietly_when_its_reader_is_gone() {
    let dir = scratch("closed-pipe");
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (imported, exported, chat, report) = (
        out("imported.ron"),
        out("exported.json"),
        out("chat.ron"),
        out("report.csv"),
    );
    let runs: [Vec<&str>; 6] = [
        vec!["check", "personas/minimal.ron", "personas/chef.ron"],
        vec![
            "import",
            "tests/data/cards/v1-baker.json",
            "--out",
            &imported,
        ],
        vec![
            "export",
            "personas/minimal.ron",
            "--format",
            "json",
            "--out",
            &exported,
        ],
        vec![
            "import-chat",
            "tests/data/chats/android-fr.txt",
            "--user",
            "Léa",
            "--bot",
            "Maestro",
            "--timezone",
            "Europe/Paris",
            "--out",
            &chat,
        ],
        vec![
            "report",
            "--persona",
            "personas/cinema-maestro.ron",
            "--scenario",
            "assets/scenarios/sent.ron",
            "--format",
            "csv",
            "--out",
            &report,
        ],
        vec![
            "simulate",
            "--persona",
            "personas/cinema-maestro.ron",
            "--scenario",
            "assets/scenarios/sent.ron",
        ],
    ];
    for args in &runs {
        let o = relance_into_closed_pipe(args);
        assert!(
            o.status.success(),
            "{args:?}: {:?} {}",
            o.status,
            stderr(&o)
        );
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("error") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
    // The files were written before the line saying so.
    for f in [&imported, &exported, &chat, &report] {
        assert!(Path::new(f).exists(), "{f}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn endless_and_huge_inputs_are_refused_before_they_are_read_whole() {
    let dir = scratch("endless");
    let card = dir.join("card.json");
    std::os::unix::fs::symlink("/dev/zero", &card).unwrap();
    let scenario = dir.join("scenario.json");
    std::os::unix::fs::symlink("/dev/zero", &scenario).unwrap();
    let imported = dir.join("x.ron");
    for args in [
        vec!["check", "/dev/zero"],
        vec!["import", path_str(&card), "--out", path_str(&imported)],
        vec![
            "simulate",
            "--persona",
            "personas/minimal.ron",
            "--scenario",
            path_str(&scenario),
        ],
    ] {
        let o = relance(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("MiB"), "{args:?}: {}", stderr(&o));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_of_range_values_are_reported_at_their_place() {
    let o = relance(&[
        "check",
        "tests/data/out-of-range/policy.ron",
        "tests/data/out-of-range/archetype.ron",
        "tests/data/out-of-range/scenario.ron",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for (place, field) in [
        ("policy.ron:4:", "delay_hours"),
        ("policy.ron:6:", "max_nudges_per_silence"),
        ("policy.ron:7:", "repeat_every_hours"),
        ("policy.ron:8:", "window"),
        ("policy.ron:9:", "count"),
        ("policy.ron:9:41:", "min_messages.days"),
        ("policy.ron:10:", "sensitive"),
        ("policy.ron:13:", "weekly message limit"),
        ("archetype.ron:6:", "sessions_per_day"),
        ("archetype.ron:10:", "weekdays"),
        ("archetype.ron:11:", "messages_per_session.max"),
        ("archetype.ron:", "median answer delay"),
        ("scenario.ron:10:", "timestamp `+262142-12-31T00:00:00Z`"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(place) && l.contains(field)),
            "{place} {field}:\n{err}"
        );
    }
    assert!(!err.contains("00000000000000000000"), "{err}");
    assert_eq!(stdout(&o).matches("invalid").count(), 3);
}

#[test]
fn explain_and_compose_refuse_an_endless_policy() {
    for command in ["explain", "compose"] {
        let o = relance(&[
            command,
            "--persona",
            "personas/cinema-maestro.ron",
            "--scenario",
            "assets/scenarios/sent.ron",
            "--user",
            "lea",
            "--at",
            "2026-01-08T13:00:00Z",
            "--policy",
            "tests/data/out-of-range/policy.ron",
        ]);
        assert_eq!(o.status.code(), Some(1), "{command}");
        assert!(
            stderr(&o).contains("policy.ron:6:") && stderr(&o).contains("max_nudges"),
            "{command}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn population_flags_out_of_range_are_refused() {
    for (flag, value, words) in [
        ("--start", "+262142-12-31", "years"),
        ("--users", "18446744073709551615", "users"),
        ("--users", "0", "at least one user"),
        ("--threads", "100000", "--threads"),
    ] {
        let o = relance(&["population", flag, value, "--days", "1"]);
        assert_eq!(o.status.code(), Some(1), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(words), "{flag} {value}: {}", stderr(&o));
    }
}

#[test]
fn import_does_not_overwrite_an_avatar_without_force() {
    let dir = scratch("avatar");
    let card = dir.join("card.png");
    let o = relance(&[
        "export",
        "personas/cinema-maestro.ron",
        "--format",
        "png",
        "--out",
        path_str(&card),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("imp.ron");
    let avatar = dir.join("imp.png");
    std::fs::write(&avatar, b"mine").unwrap();
    let o = relance(&["import", path_str(&card), "--out", path_str(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("imp.png exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&avatar).unwrap(), b"mine");
    assert!(!out.exists());
    let o = relance(&[
        "import",
        path_str(&card),
        "--out",
        path_str(&out),
        "--force",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(std::fs::read(&avatar).unwrap(), b"mine");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn byte_order_marks_and_bad_timestamps_get_clear_messages() {
    let dir = scratch("bom");
    let persona = dir.join("bom.ron");
    let text = std::fs::read_to_string(root().join("personas/minimal.ron")).unwrap();
    std::fs::write(&persona, format!("\u{feff}{text}")).unwrap();
    let scenario = dir.join("bom.json");
    let json = r#"{"name": "x", "users": [{"id": "u", "timezone": "UTC", "locale": "en", "events": [{"at": "2026-01-05T18:0", "from": "user", "channel": "messenger", "text": "hi"}]}]}"#;
    std::fs::write(&scenario, format!("\u{feff}{json}")).unwrap();
    let o = relance(&["check", path_str(&persona), path_str(&scenario)]);
    let err = stderr(&o);
    assert!(stdout(&o).contains("bom.ron: valid"), "{}{err}", stdout(&o));
    assert!(
        err.contains("timestamp `2026-01-05T18:0`") && err.contains("bom.json:1:"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
