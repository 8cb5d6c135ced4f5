//! Writes a large scenario for the replay benchmark (README, "Replay speed"): synthetic users of
//! the built-in population mix, with texts, as compact JSON.
//!
//! ```text
//! cargo run --release --example gen_scenario -- --users 20000 --events 600000 --seed 1 --out big.json
//! ```
//!
//! The run length is chosen so that the scenario holds about `--events` events (user messages
//! and bot replies), from the rate of a sample of users.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use relance::model::{Event, Persona, Policy};
use relance::sim::{Population, PopulationConfig};
use serde::Serialize;

/// Writes a large scenario of synthetic users.
#[derive(Debug, Parser)]
struct Args {
    /// Number of users.
    #[arg(long, default_value_t = 20_000)]
    users: u64,
    /// About how many events (user messages and bot replies) in all.
    #[arg(long, default_value_t = 600_000)]
    events: u64,
    /// Seed of the population.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Persona whose lexicon and topics the texts mention.
    #[arg(long, default_value = "personas/cinema-maestro.ron")]
    persona: PathBuf,
    /// Output file (.json).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Serialize)]
struct UserJson<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    age: Option<u32>,
    timezone: &'a str,
    locale: &'a str,
    events: &'a [Event],
}

fn population(persona: &Persona, users: u64, days: u32, seed: u64) -> anyhow::Result<Population> {
    let mut config = PopulationConfig::new(persona.clone(), Policy::omni())?;
    config.users = users;
    config.days = days;
    config.seed = seed;
    Ok(Population::new(config)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let persona = Persona::load(&args.persona)?;
    // The run length that gives about `--events` events, from a sample of users: activity is
    // front-loaded (users lapse), so the count is not linear in days; search the shortest run
    // whose sample reaches the target.
    let sample_users = args.users.min(500);
    let sample_events = |days: u32| -> anyhow::Result<f64> {
        let sample = population(&persona, sample_users, days, args.seed)?;
        let mut events = 0;
        for i in 0..sample_users {
            events += sample.user_scenario(i)?.users[0].events.len() as u64;
        }
        Ok(events as f64 * args.users as f64 / sample_users as f64)
    };
    let (mut lo, mut hi) = (1_u32, 3650_u32);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if sample_events(mid)? >= args.events as f64 {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let days = lo;
    let pop = population(&persona, args.users, days, args.seed)?;
    let (_, end) = pop.span_secs();
    let until = relance::engine::instant(end).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    write!(
        out,
        "{{\"name\":\"Replay benchmark: {} synthetic users\",\"description\":\"relance gen_scenario --users {} --events {} --seed {} ({} days)\",\"until\":\"{until}\",\"users\":[",
        args.users, args.users, args.events, args.seed, days
    )?;
    let mut events = 0;
    for i in 0..args.users {
        let scenario = pop.user_scenario(i)?;
        let user = &scenario.users[0];
        events += user.events.len();
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(
            &mut out,
            &UserJson {
                id: &user.id,
                name: &user.name,
                age: user.age,
                timezone: user.timezone.name(),
                locale: &user.locale,
                events: &user.events,
            },
        )?;
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    eprintln!(
        "wrote {} users, {events} events over {days} days to {}",
        args.users,
        args.out.display()
    );
    Ok(())
}
