//! Frame time of the studio on a large scenario: 50 users and 20,000 messages, replay playing.
//!
//! One iteration is one whole frame as the window would run it: the UI logic of every panel
//! (`StudioApp::studio_ui`) and the tessellation of what it drew into triangles (what the GPU
//! backend then uploads). Rendering on the GPU itself is not included.
//!
//! Run with `cargo bench --bench frame`; the target is under 16 ms per frame (the first frame of
//! a new window, which draws every glyph, is measured apart).

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use relance::model::scenario::ScenarioFormat;
use relance::model::{Channel, Event, Scenario, Sender, User};
use relance::ui::command::{Command, Tab};
use relance::ui::cursor::CursorCommand;
use relance::ui::files::ScriptedDialogs;
use relance::ui::{StudioApp, StudioOptions};

const USERS: usize = 50;
const EVENTS: usize = 20_000;

/// A deterministic scenario: each user chats in bursts over three months, with silences.
fn large_scenario() -> Scenario {
    let start = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let zones = [
        chrono_tz::Europe::Paris,
        chrono_tz::America::New_York,
        chrono_tz::Europe::London,
        chrono_tz::Asia::Tokyo,
    ];
    let texts = [
        "Tu connais la BO d'Interstellar ?",
        "Hans Zimmer est mon compositeur préféré.",
        "I watched Dune again last night.",
        "Any ideas for a movie night?",
        "Merci, à plus tard !",
    ];
    let per_user = EVENTS / USERS;
    let users = (0..USERS)
        .map(|u| {
            let mut at = start + Duration::minutes(next(7 * 24 * 60) as i64);
            let events = (0..per_user)
                .map(|i| {
                    // Mostly minutes apart, sometimes a silence of hours or days.
                    let gap = match next(20) {
                        0 => next(10 * 24 * 60) as i64,
                        1..=3 => next(24 * 60) as i64,
                        _ => 1 + next(30) as i64,
                    };
                    at += Duration::minutes(gap);
                    Event {
                        at,
                        from: if i % 2 == 0 {
                            Sender::User
                        } else {
                            Sender::Bot
                        },
                        channel: Channel::Messenger,
                        text: texts[(i + u) % texts.len()].to_owned(),
                        media: false,
                    }
                })
                .collect();
            User {
                id: format!("user-{u}"),
                name: format!("User {u}"),
                age: None,
                timezone: zones[u % zones.len()],
                locale: if u % 2 == 0 { "fr" } else { "en" }.to_owned(),
                events,
            }
        })
        .collect();
    Scenario {
        name: "benchmark: 50 users, 20,000 messages".to_owned(),
        description: String::new(),
        until: None,
        users,
    }
}

fn scenario_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("relance-bench-{}.json", std::process::id()));
    let text = large_scenario().to_string(ScenarioFormat::Json);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn input(time_secs: f64) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 1000.0),
        )),
        time: Some(time_secs),
        ..Default::default()
    }
}

fn frame(c: &mut Criterion) {
    let path = scenario_file();
    let mut options = StudioOptions::headless(Box::new(ScriptedDialogs::default()));
    options.scenario = Some(path.clone());
    let mut app = StudioApp::new(options);
    let ctx = egui::Context::default();
    let mut time_secs = 0.0;
    let mut run = |app: &mut StudioApp, ctx: &egui::Context| {
        time_secs += 1.0 / 60.0;
        let mut output = ctx.run_ui(input(time_secs), |ui| app.studio_ui(ui));
        // No renderer here: the font atlas updates are dropped on purpose.
        output.textures_delta.clear();
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(primitives.len())
    };
    // Warm up: first frames lay fonts out; wait for the background replay.
    for _ in 0..3 {
        run(&mut app, &ctx);
    }
    app.wait_for_simulation();
    let events: usize = app
        .document()
        .scenario()
        .users
        .iter()
        .map(|u| u.events.len())
        .sum();
    assert_eq!(events, EVENTS);
    assert!(app.totals().is_some(), "the replay finished");

    app.push(Command::SetTab(Tab::Timeline));
    app.push(Command::Cursor(CursorCommand::SetSpeed(
        relance::ui::cursor::Speed::DayPerSec,
    )));
    app.push(Command::Cursor(CursorCommand::Play));
    run(&mut app, &ctx);
    let mut group = c.benchmark_group("studio frame");
    group.bench_function("timeline, 50 users, 20000 messages, playing", |b| {
        b.iter(|| {
            if !app.timeline().cursor.is_playing() {
                app.push(Command::Cursor(CursorCommand::Play));
            }
            run(&mut app, &ctx)
        });
    });
    app.push(Command::Cursor(CursorCommand::Pause));
    app.push(Command::SetTab(Tab::Persona));
    run(&mut app, &ctx);
    group.bench_function("persona tab", |b| b.iter(|| run(&mut app, &ctx)));
    app.push(Command::SetTab(Tab::Policy));
    run(&mut app, &ctx);
    group.bench_function("policy tab", |b| b.iter(|| run(&mut app, &ctx)));
    // A window's first frame, as at start or after a zoom or presentation-mode change: the
    // fonts are read, every glyph shown is shaped and drawn into the atlas, every text laid out.
    // The work of the font crates (read-fonts, skrifa, harfrust, vello_cpu) the release profile
    // tunes (Cargo.toml) is here, not in the frames above, which reuse cached glyphs.
    app.push(Command::SetTab(Tab::Timeline));
    group.bench_function("timeline, first frame of a new window", |b| {
        b.iter(|| run(&mut app, &egui::Context::default()))
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, frame);
criterion_main!(benches);
