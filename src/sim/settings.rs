//! The inputs of a population run as a user sets them (users, days, seed, the policy and an
//! optional second one to compare, archetype weights changed from the default mix), and the
//! checked [`PopulationConfig`] they give. The studio saves them with its preferences, so the
//! serde form is kept stable: `#[serde(default)]` lets older files load.

use std::collections::BTreeMap;

use super::SimError;
use super::archetype::Mix;
use super::population::PopulationConfig;
use crate::model::policy::{ResolvePolicyError, resolve_policy};
use crate::model::{Persona, Policy};

/// Users in a run unless changed: a run of this size takes about a second.
pub const DEFAULT_USERS: u64 = 10_000;

/// Days in a run unless changed.
pub const DEFAULT_DAYS: u32 = 90;

/// The inputs of a population run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PopulationSettings {
    /// Number of synthetic users.
    pub users: u64,
    /// Length of the run in days.
    pub days: u32,
    /// Seed of every random draw.
    pub seed: u64,
    /// A preset's name (or a policy file), or `None` for the persona's own policy.
    pub policy: Option<String>,
    /// The policy to compare with: `Some(None)` is the persona's own, `Some(Some(name))` a
    /// preset; `None` runs a single policy.
    pub compare: Option<Option<String>>,
    /// Weights of the archetypes changed from the default mix, by archetype id.
    pub weights: BTreeMap<String, f64>,
}

impl Default for PopulationSettings {
    fn default() -> Self {
        Self {
            users: DEFAULT_USERS,
            days: DEFAULT_DAYS,
            seed: 1,
            policy: None,
            compare: None,
            weights: BTreeMap::new(),
        }
    }
}

/// Why settings give no run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The policy, or the one to compare with, does not resolve.
    #[error(transparent)]
    Policy(#[from] ResolvePolicyError),
    /// Every archetype has a weight of zero.
    #[error("give at least one archetype a weight above zero")]
    EmptyMix,
    /// The population cannot be configured.
    #[error(transparent)]
    Sim(#[from] SimError),
}

impl PopulationSettings {
    /// The weight of an archetype: the changed one, else the default mix's.
    pub fn weight(&self, id: &str, default: f64) -> f64 {
        self.weights.get(id).copied().unwrap_or(default)
    }

    /// The mix these settings give from `default_mix`: changed weights applied, archetypes of
    /// weight zero left out.
    pub fn mix(&self, default_mix: &Mix) -> Result<Mix, SettingsError> {
        let mut mix = default_mix.clone();
        for (archetype, weight) in &mut mix.archetypes {
            *weight = self.weight(&archetype.id, *weight);
        }
        mix.archetypes.retain(|(_, w)| w.is_finite() && *w > 0.0);
        if mix.archetypes.is_empty() {
            return Err(SettingsError::EmptyMix);
        }
        if !self.weights.is_empty() {
            mix.name = format!("{} (edited)", mix.name);
        }
        Ok(mix)
    }

    /// The run these settings ask for with `persona`: the population under the chosen policy,
    /// and the policy to compare with, if any.
    pub fn config(
        &self,
        persona: &Persona,
        default_mix: &Mix,
    ) -> Result<(PopulationConfig, Option<Policy>), SettingsError> {
        let policy = resolve_policy(&persona.policy, self.policy.as_deref())?;
        let compare = match &self.compare {
            Some(choice) => Some(resolve_policy(&persona.policy, choice.as_deref())?),
            None => None,
        };
        let mut config = PopulationConfig::new(persona.clone(), policy)?;
        config.mix = self.mix(default_mix)?;
        config.users = self.users;
        config.days = self.days;
        config.seed = self.seed;
        Ok((config, compare))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::PolicyChoice;

    fn mix() -> Mix {
        Mix::builtin().expect("the built-in mix loads")
    }

    #[test]
    fn changed_weights_apply_and_zero_leaves_an_archetype_out() {
        let default = mix();
        let first = default.archetypes[0].0.id.clone();
        let second = default.archetypes[1].0.id.clone();
        let mut settings = PopulationSettings::default();
        assert_eq!(settings.mix(&default).expect("mix"), default);
        settings.weights.insert(first.clone(), 0.0);
        settings.weights.insert(second.clone(), 7.5);
        let edited = settings.mix(&default).expect("mix");
        assert_eq!(edited.archetypes.len(), default.archetypes.len() - 1);
        assert!(edited.archetypes.iter().all(|(a, _)| a.id != first));
        assert_eq!(edited.archetypes[0], (default.archetypes[1].0.clone(), 7.5));
        assert!(edited.name.ends_with("(edited)"));
        for (a, _) in &default.archetypes {
            settings.weights.insert(a.id.clone(), 0.0);
        }
        let err = settings.mix(&default).expect_err("no archetype left");
        assert!(err.to_string().contains("at least one archetype"), "{err}");
    }

    #[test]
    fn a_config_uses_the_persona_policy_or_a_preset() {
        let mut persona = Persona::new_blank("p", "P");
        persona.policy = PolicyChoice::Preset("omni-two-weeks".into());
        let mut settings = PopulationSettings {
            users: 123,
            days: 12,
            seed: 9,
            compare: Some(Some("pushy".into())),
            ..PopulationSettings::default()
        };
        let (config, compare) = settings.config(&persona, &mix()).expect("config");
        assert_eq!(config.policy.name, "omni-two-weeks");
        assert_eq!(compare.map(|p| p.name), Some("pushy".to_owned()));
        assert_eq!((config.users, config.days, config.seed), (123, 12, 9));
        settings.policy = Some("nope".into());
        let err = settings
            .config(&persona, &mix())
            .expect_err("unknown preset")
            .to_string();
        assert!(err.contains("`nope` is neither a preset"), "{err}");
        assert!(err.contains("pushy"), "the error names the presets: {err}");
        settings.policy = None;
        persona.policy = PolicyChoice::Preset("gone".into());
        let err = settings
            .config(&persona, &mix())
            .expect_err("unknown preset")
            .to_string();
        assert!(err.contains("unknown preset `gone`"), "{err}");
    }

    #[test]
    fn settings_from_older_preferences_load_with_defaults() {
        let s: PopulationSettings = ron::from_str("(users: 500)").expect("loads");
        assert_eq!(s.users, 500);
        assert_eq!(s.days, DEFAULT_DAYS);
        assert!(s.weights.is_empty() && s.compare.is_none());
    }

    #[test]
    fn settings_keep_their_saved_form() {
        let settings = PopulationSettings {
            compare: Some(None),
            weights: BTreeMap::from([("night-owl".to_owned(), 2.5)]),
            ..PopulationSettings::default()
        };
        let saved = ron::to_string(&settings).expect("saves");
        assert_eq!(
            saved,
            "(users:10000,days:90,seed:1,policy:None,compare:Some(None),\
             weights:{\"night-owl\":2.5})"
        );
        let loaded: PopulationSettings = ron::from_str(&saved).expect("loads");
        assert_eq!(loaded, settings);
    }
}
