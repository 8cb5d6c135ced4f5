//! What can be selected on the timeline: a message, a decision, or an instant on a user's lane.
//! The Timeline, the inspector, the conversation and the commands all speak of it, so it lives
//! below them.

use super::timeline_data::{Item, MarkerRef};

/// What is selected on the timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Nothing.
    #[default]
    None,
    /// A message of the scenario.
    Event {
        /// The user's index.
        user: usize,
        /// The event's index in the user's events.
        event: usize,
    },
    /// A decision of the engine.
    Decision {
        /// The user's index.
        user: usize,
        /// The decision's index in the user's decisions.
        index: usize,
    },
    /// An instant on a user's lane, to ask why the engine stays silent there.
    Instant {
        /// The user's index.
        user: usize,
        /// The instant (unix seconds).
        at_secs: i64,
    },
}

impl Selection {
    /// The user the selection belongs to.
    pub fn user(&self) -> Option<usize> {
        match *self {
            Selection::None => None,
            Selection::Event { user, .. }
            | Selection::Decision { user, .. }
            | Selection::Instant { user, .. } => Some(user),
        }
    }

    /// The selection as a marker, if it is one.
    pub fn marker(&self) -> Option<MarkerRef> {
        match *self {
            Selection::Event { user, event } => Some(MarkerRef {
                user,
                item: Item::Event(event),
            }),
            Selection::Decision { user, index } => Some(MarkerRef {
                user,
                item: Item::Decision(index),
            }),
            _ => None,
        }
    }
}
