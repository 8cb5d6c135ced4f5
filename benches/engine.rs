//! The engine's decision on one user history: a heavy synthetic user (an engaged fan with
//! hundreds of messages over 90 days), opened as a scenario with texts.
//!
//! `cargo bench --bench engine` (`-- crisis_evidence` for the crisis classifier's cost per
//! message alone)

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use relance::engine::{Profile, UserFacts, checker_for, evaluate, schedule};
use relance::model::{Persona, Policy, User};
use relance::replay::{ReplayOptions, decide_user};
use relance::sim::{Population, PopulationConfig};

fn heavy_user(persona: &Persona, policy: &Policy) -> (User, Option<chrono::DateTime<chrono::Utc>>) {
    let mut config =
        PopulationConfig::new(persona.clone(), policy.clone()).expect("the built-in mix loads");
    config.users = 500;
    config.days = 90;
    let pop = Population::new(config).expect("a valid population");
    // The first user with at least 300 messages.
    let index = (0..500)
        .find(|&i| pop.user_run(i).is_ok_and(|u| u.messages.len() >= 300))
        .expect("a heavy user among 500");
    let scenario = pop.user_scenario(index).expect("a scenario");
    let until = scenario.until;
    let user = scenario.users.into_iter().next().expect("one user");
    (user, until)
}

fn engine(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron");
    let persona = Persona::load(&path).expect("the shipped persona loads");
    let checker = checker_for(&persona);
    for name in ["omni", "pushy"] {
        let policy = Policy::preset(name).expect("a preset");
        let (user, until) = heavy_user(&persona, &policy);
        let messages = user
            .events
            .iter()
            .filter(|e| e.from == relance::model::Sender::User)
            .count();
        let counting = ReplayOptions {
            compose: false,
            ..ReplayOptions::default()
        };
        c.bench_function(&format!("decide_user/{name}/{messages}_messages"), |b| {
            b.iter(|| {
                decide_user(
                    &persona,
                    &policy,
                    &checker,
                    black_box(&user),
                    until,
                    counting,
                )
            })
        });
        c.bench_function(
            &format!("decide_user/{name}/{messages}_messages/compose"),
            |b| {
                b.iter(|| {
                    decide_user(
                        &persona,
                        &policy,
                        &checker,
                        black_box(&user),
                        until,
                        ReplayOptions::default(),
                    )
                })
            },
        );
        if name == "omni" {
            // The crisis classifier's share of reading a message: folding it and summing the
            // weights of its n-grams (divide by the messages for the cost of one).
            let classifier = checker.classifier();
            let texts: Vec<&str> = user
                .events
                .iter()
                .filter(|e| e.from == relance::model::Sender::User)
                .map(|e| e.text.as_str())
                .collect();
            c.bench_function(&format!("crisis_evidence/{messages}_messages"), |b| {
                b.iter(|| {
                    texts
                        .iter()
                        .map(|t| classifier.evidence(black_box(t)).sum)
                        .sum::<i64>()
                })
            });
        }
        let facts = UserFacts::from_user(&user, &policy, &checker);
        let profile = Profile::of(&user);
        c.bench_function(
            &format!("facts_from_texts/{name}/{messages}_messages"),
            |b| b.iter(|| UserFacts::from_user(black_box(&user), &policy, &checker)),
        );
        c.bench_function(
            &format!("schedule_and_evaluate/{name}/{messages}_messages"),
            |b| {
                b.iter(|| {
                    let mut sent = 0;
                    schedule(
                        &policy,
                        user.timezone,
                        &facts,
                        until.map(|u| u.timestamp()),
                        |cand| {
                            if evaluate(&policy, &profile, &facts, cand.at_secs).reason
                                == relance::engine::Reason::Sent
                            {
                                sent += 1;
                            }
                        },
                    );
                    sent
                })
            },
        );
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
