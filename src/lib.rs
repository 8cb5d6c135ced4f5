//! Relance: a studio for designing chatbot personas and testing the proactive follow-up
//! messages ("nudges", in French "relances") they send to users who have gone quiet.
//!
//! The library holds the domain model ([`model`]), the policy engine ([`engine`]), the composer
//! ([`compose`]), the replay that joins them ([`replay`]), the safety checks ([`safety`]) and
//! the exports ([`report`]); the command line ([`cli`]) and the studio (`ui`) are thin layers
//! over it. Only `ui` depends on egui.
//!
//! ```
//! use relance::model::{Persona, Policy, Scenario};
//! use relance::model::scenario::ScenarioFormat;
//! use relance::replay::{ReplayOptions, replay};
//!
//! let persona = Persona::new_blank("demo", "Demo");
//! let json = r#"{"name": "one user", "users": [{"id": "ana", "timezone": "Europe/Paris",
//!   "locale": "fr", "events": [{"at": "2026-01-05T18:03:00Z", "from": "user",
//!   "channel": "messenger", "text": "Bonsoir !"}]}]}"#;
//! let (scenario, _warnings) =
//!     Scenario::from_str(json, ScenarioFormat::Json, "demo.json".as_ref()).unwrap();
//! let result = replay(&persona, &Policy::omni(), &scenario, ReplayOptions::default());
//! // One silence, one decision: held back, Ana wrote once and omni needs 5 messages.
//! let decision = &result.users[0].decisions[0];
//! assert_eq!(decision.reason.as_str(), "too_few_messages");
//! ```

pub mod cli;
pub mod compose;
pub mod engine;
pub mod interop;
pub mod model;
pub mod replay;
pub mod report;
pub mod safety;
pub mod sim;
pub mod suite;
#[cfg(feature = "gui")]
pub mod ui;
