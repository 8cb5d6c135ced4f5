//! What to simulate ([`PopulationConfig`]) and its checked, ready-to-run form ([`Population`]).

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDate, TimeZone as _};
use chrono_tz::Tz;

use super::SimError;
use super::archetype::{Archetype, Mix};
use super::clock::LocalClock;
use super::random::{Poisson, cumulative};
use super::text::{FALLBACK_LANG, TextBook};
use crate::engine::checker_for;
use crate::model::{Channel, Lang, Persona, Policy};
use crate::safety::{Category, SafetyChecker};

/// The first day of a run unless told otherwise: Monday 5 January 2026.
pub fn default_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or(NaiveDate::MIN)
}

/// Most days a run may cover (ten years).
pub const MAX_DAYS: u32 = 3650;

/// The most users a population may have: 100 million (a run of that size takes hours already).
pub const MAX_USERS: u64 = 100_000_000;

/// The years a run may start in (those of a scenario's timestamps).
pub const START_YEARS: std::ops::RangeInclusive<i32> = crate::model::scenario::TIMESTAMP_YEARS;

/// Everything a population run depends on. Two runs of the same configuration give the same
/// report, whatever the number of threads.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationConfig {
    /// The persona: its safety additions, lexicon and topics (for texts) and, by default, its
    /// policy.
    pub persona: Persona,
    /// The nudge policy applied.
    pub policy: Policy,
    /// The archetypes and their weights.
    pub mix: Mix,
    /// Number of synthetic users.
    pub users: u64,
    /// Length of the run in days.
    pub days: u32,
    /// Seed of every random draw.
    pub seed: u64,
    /// First day of the run, in each user's own time zone; the run's span starts at this date's
    /// midnight UTC and lasts `days` days.
    pub start: NaiveDate,
}

impl PopulationConfig {
    /// A configuration with the built-in mix, 10,000 users, 90 days, seed 1, starting on
    /// [`default_start`].
    pub fn new(persona: Persona, policy: Policy) -> Result<Self, SimError> {
        Ok(Self {
            persona,
            policy,
            mix: Mix::builtin()?,
            users: 10_000,
            days: 90,
            seed: 1,
            start: default_start(),
        })
    }
}

/// A time zone used by the mix, with its local clock and the UTC instant of each local midnight
/// of the run.
#[derive(Clone, Debug)]
pub(crate) struct Zone {
    pub clock: LocalClock,
    /// `midnights[j]` is the UTC instant of local midnight on `start + (j − 1)` days, for
    /// `j` in `0..days + 4`: one day before the run to two days after it, plus the next midnight.
    pub midnights: Vec<i64>,
    /// Weekday (0 = Monday) of the local date of `midnights[0]`.
    pub first_weekday: u32,
}

/// A place of an archetype, compiled.
#[derive(Clone, Debug)]
pub(crate) struct PlaceRef {
    pub zone: usize,
    pub locale: String,
    pub lang: Lang,
}

/// An archetype with its weights turned into cumulative tables.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub archetype: Archetype,
    pub hours: Vec<f64>,
    /// Sessions a day on each weekday (0 = Monday).
    pub sessions_by_weekday: [Poisson; 7],
    pub places: Vec<PlaceRef>,
    pub place_weights: Vec<f64>,
    pub channels: Vec<Channel>,
    pub channel_weights: Vec<f64>,
    /// Flagged categories a user of each language may write (those a verified phrase stands
    /// for), with cumulative weights; indexed like [`Lang::ALL`].
    pub categories: [(Vec<Category>, Vec<f64>); 2],
}

/// A checked population, ready to run: archetypes compiled, time zones resolved, phrases
/// verified against the persona's safety check.
#[derive(Clone, Debug)]
pub struct Population {
    pub(crate) config: PopulationConfig,
    pub(crate) checker: SafetyChecker,
    pub(crate) archetypes: Vec<Compiled>,
    pub(crate) archetype_weights: Vec<f64>,
    pub(crate) zones: Vec<Zone>,
    pub(crate) texts: TextBook,
    /// The run's span in UTC seconds: `[start_secs, end_secs]`.
    pub(crate) start_secs: i64,
    pub(crate) end_secs: i64,
    warnings: Vec<String>,
}

fn utc_midnight_of(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A midnight skipped by a clock change starts the day at the first valid instant after it.
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp())
}

impl Population {
    /// Checks `config` and prepares it.
    pub fn new(config: PopulationConfig) -> Result<Self, SimError> {
        if config.users == 0 {
            return Err(SimError::Invalid(
                "a population needs at least one user".into(),
            ));
        }
        if config.users > MAX_USERS {
            return Err(SimError::Invalid(format!(
                "a population has at most {MAX_USERS} users, not {}",
                config.users
            )));
        }
        if !START_YEARS.contains(&chrono::Datelike::year(&config.start)) {
            return Err(SimError::Invalid(format!(
                "a run starts in the years {} to {}, not on {}",
                START_YEARS.start(),
                START_YEARS.end(),
                config.start
            )));
        }
        if config.days == 0 || config.days > MAX_DAYS {
            return Err(SimError::Invalid(format!(
                "a run lasts 1 to {MAX_DAYS} days, not {}",
                config.days
            )));
        }
        if let Some(d) = config
            .policy
            .validate("policy")
            .into_iter()
            .find(|d| d.severity == crate::model::Severity::Error)
        {
            return Err(SimError::Invalid(format!("the policy is invalid: {d}")));
        }
        if config.mix.archetypes.is_empty() {
            return Err(SimError::Invalid("the mix lists no archetype".into()));
        }
        let start_secs = config
            .start
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp();
        let end_secs = start_secs + i64::from(config.days) * 86_400;
        let checker = checker_for(&config.persona);
        let mut warnings = Vec::new();
        let texts = TextBook::new(
            &config.persona,
            &config.policy,
            &config.mix,
            &checker,
            &mut warnings,
        )?;

        let mut zone_ids: BTreeMap<&str, usize> = BTreeMap::new();
        let mut zones = Vec::new();
        let first_date = config.start.pred_opt().unwrap_or(config.start);
        let mut archetypes = Vec::new();
        for (archetype, _) in &config.mix.archetypes {
            let mut places = Vec::new();
            for place in &archetype.places {
                let zone = *zone_ids.entry(place.timezone.name()).or_insert_with(|| {
                    let midnights = (0..i64::from(config.days) + 4)
                        .map(|j| {
                            utc_midnight_of(place.timezone, first_date + chrono::Duration::days(j))
                        })
                        .collect::<Vec<_>>();
                    // The clock covers every instant the run converts: the run, a day before
                    // it and the answer window after it.
                    let clock = LocalClock::new(
                        place.timezone,
                        start_secs - 3 * 86_400,
                        end_secs + 10 * 86_400,
                    );
                    zones.push(Zone {
                        clock,
                        midnights,
                        first_weekday: first_date.weekday().num_days_from_monday(),
                    });
                    zones.len() - 1
                });
                places.push(PlaceRef {
                    zone,
                    locale: place.locale.clone(),
                    lang: Lang::from_locale(&place.locale).unwrap_or(FALLBACK_LANG),
                });
            }
            let week: f64 = archetype.weekdays.iter().sum();
            let sessions_by_weekday = std::array::from_fn(|d| {
                let factor = match archetype.weekdays.get(d) {
                    Some(w) if week > 0.0 => w * 7.0 / week,
                    _ => 1.0,
                };
                Poisson::new(archetype.sessions_per_day * factor)
            });
            let categories = Lang::ALL.map(|lang| {
                let (cats, weights): (Vec<Category>, Vec<f64>) = archetype
                    .flagged
                    .categories
                    .iter()
                    .filter(|(c, w)| **w > 0.0 && texts.can_flag(**c, lang))
                    .map(|(c, w)| (*c, *w))
                    .unzip();
                (cats, cumulative(weights))
            });
            archetypes.push(Compiled {
                hours: cumulative(archetype.hours.iter().copied()),
                sessions_by_weekday,
                place_weights: cumulative(archetype.places.iter().map(|p| p.weight)),
                places,
                channels: archetype.channels.keys().copied().collect(),
                channel_weights: cumulative(archetype.channels.values().copied()),
                categories,
                archetype: archetype.clone(),
            });
        }
        let archetype_weights = cumulative(config.mix.archetypes.iter().map(|(_, w)| *w));
        Ok(Self {
            config,
            checker,
            archetypes,
            archetype_weights,
            zones,
            texts,
            start_secs,
            end_secs,
            warnings,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PopulationConfig {
        &self.config
    }

    /// Problems that do not stop the run: phrases left out because the safety check does not
    /// treat them as expected, and what the run cannot simulate because of it.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The archetypes, in mix order.
    pub fn archetypes(&self) -> impl Iterator<Item = &Archetype> {
        self.archetypes.iter().map(|c| &c.archetype)
    }

    /// The run's span: first and last instant (UTC seconds) at which decisions are made.
    pub fn span_secs(&self) -> (i64, i64) {
        (self.start_secs, self.end_secs)
    }
}
