//! What changed between two replays of one scenario (two personas, two policies, or one persona
//! at two revisions): decision by decision, what appeared, disappeared, moved in time, changed
//! reason or changed text, the text shown as a word diff.
//!
//! Decisions are paired by user and by their place in the user's history (the silence they
//! follow up and their rank in it), so that a nudge whose time moved is one change, not a
//! disappearance and an appearance.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::{Decision, Outcome, Replay};
use crate::model::{Channel, Scenario};

/// One side of a changed decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecisionSide {
    /// When.
    pub at: DateTime<Utc>,
    /// `sent` or `suppressed`.
    pub outcome: Outcome,
    /// `sent` or the reason it was held back.
    pub reason: &'static str,
    /// The channel.
    pub channel: Channel,
    /// The text of a sent nudge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl DecisionSide {
    fn of(d: &Decision) -> Self {
        Self {
            at: d.at,
            outcome: d.outcome,
            reason: d.reason.as_str(),
            channel: d.channel,
            text: d.text().map(str::to_owned),
        }
    }
}

/// What kind of change a decision went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the new replay.
    Appeared,
    /// Only in the old replay.
    Disappeared,
    /// At another instant.
    Moved,
    /// Sent in one, held back in the other, or held back for another reason.
    Reason,
    /// Sent in both with another text.
    Text,
}

impl ChangeKind {
    /// The word shown in the text output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Appeared => "appeared",
            ChangeKind::Disappeared => "disappeared",
            ChangeKind::Moved => "moved",
            ChangeKind::Reason => "other reason",
            ChangeKind::Text => "other text",
        }
    }
}

/// One word of a word diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WordPiece {
    /// `same`, `removed` or `added`.
    pub op: WordOp,
    /// The word (with no whitespace).
    pub word: String,
}

/// Whether a word is in both texts, only the old one or only the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOp {
    /// In both.
    Same,
    /// Only in the old text.
    Removed,
    /// Only in the new text.
    Added,
}

/// One decision that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecisionChange {
    /// The user's id.
    pub user: String,
    /// Index of the user in the scenario.
    #[serde(skip)]
    pub user_index: usize,
    /// What changed, one or more kinds.
    pub kinds: Vec<ChangeKind>,
    /// The decision in the old replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<DecisionSide>,
    /// The decision in the new replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<DecisionSide>,
    /// For a changed text, the word diff from the old text to the new.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<WordPiece>,
}

/// Every change between two replays of one scenario, and their counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayDiff {
    /// Decisions in the old replay.
    pub decisions_before: usize,
    /// Decisions in the new replay.
    pub decisions_after: usize,
    /// The decisions that differ, user by user in scenario order, then in time.
    pub changes: Vec<DecisionChange>,
}

impl ReplayDiff {
    /// How many changes are of `kind`.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes
            .iter()
            .filter(|c| c.kinds.contains(&kind))
            .count()
    }

    /// One line: how many decisions differ and how.
    pub fn summary(&self) -> String {
        if self.changes.is_empty() {
            return format!("no difference ({} decisions)", self.decisions_after);
        }
        let kinds = [
            ChangeKind::Appeared,
            ChangeKind::Disappeared,
            ChangeKind::Moved,
            ChangeKind::Reason,
            ChangeKind::Text,
        ];
        let parts: Vec<String> = kinds
            .iter()
            .map(|&k| (k, self.count(k)))
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect();
        format!(
            "{} {}: {} ({} before, {} after)",
            self.changes.len(),
            if self.changes.len() == 1 {
                "decision differs"
            } else {
                "decisions differ"
            },
            parts.join(", "),
            self.decisions_before,
            self.decisions_after
        )
    }

    /// The changes in words, one block per decision, then the summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let short = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let side = |s: &DecisionSide| {
            if s.outcome == Outcome::Sent {
                format!("sent at {} on {}", short(s.at), s.channel)
            } else {
                format!(
                    "held back ({}) at {} on {}",
                    s.reason,
                    short(s.at),
                    s.channel
                )
            }
        };
        for c in &self.changes {
            let kinds: Vec<&str> = c.kinds.iter().map(|k| k.as_str()).collect();
            let _ = writeln!(out, "{}: {}", c.user, kinds.join(", "));
            if let Some(b) = &c.before {
                let _ = writeln!(out, "  before  {}", side(b));
            }
            if let Some(a) = &c.after {
                let _ = writeln!(out, "  after   {}", side(a));
            }
            if !c.words.is_empty() {
                let _ = writeln!(out, "  text    {}", render_words(&c.words));
            } else if c.kinds.contains(&ChangeKind::Appeared)
                && let Some(text) = c.after.as_ref().and_then(|a| a.text.as_ref())
            {
                let _ = writeln!(out, "  text    {{+{text}+}}");
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }
}

/// A word diff as text: removed words in `[-…-]`, added ones in `{+…+}`, runs grouped.
pub fn render_words(words: &[WordPiece]) -> String {
    let mut out = String::new();
    let mut k = 0;
    while k < words.len() {
        let op = words[k].op;
        let run: Vec<&str> = words[k..]
            .iter()
            .take_while(|w| w.op == op)
            .map(|w| w.word.as_str())
            .collect();
        k += run.len();
        if !out.is_empty() {
            out.push(' ');
        }
        let joined = run.join(" ");
        match op {
            WordOp::Same => out.push_str(&joined),
            WordOp::Removed => {
                let _ = write!(out, "[-{joined}-]");
            }
            WordOp::Added => {
                let _ = write!(out, "{{+{joined}+}}");
            }
        }
    }
    out
}

/// The word diff from `old` to `new`: the longest common subsequence of their words (split on
/// whitespace), by dynamic programming. Hand-written rather than a dependency: nudges are a few
/// dozen words, so the quadratic table is small.
pub fn word_diff(old: &str, new: &str) -> Vec<WordPiece> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let piece = |op, word: &str| WordPiece {
        op,
        word: word.to_owned(),
    };
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(piece(WordOp::Same, a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(piece(WordOp::Removed, a[i]));
            i += 1;
        } else {
            out.push(piece(WordOp::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|w| piece(WordOp::Removed, w)));
    out.extend(b[j..].iter().map(|w| piece(WordOp::Added, w)));
    out
}

/// The key pairing decisions across replays: the silence followed up and the rank in it.
fn key(d: &Decision) -> (u32, u32) {
    (d.silence_event, d.nth)
}

/// Every decision that differs between `before` and `after`, two replays of `scenario`.
pub fn diff_replays(scenario: &Scenario, before: &Replay, after: &Replay) -> ReplayDiff {
    let mut changes = Vec::new();
    for (ui, user) in scenario.users.iter().enumerate() {
        let mut pairs: BTreeMap<(u32, u32), Pair<'_>> = BTreeMap::new();
        for d in before.of_user(ui) {
            pairs.entry(key(d)).or_default().0 = Some(d);
        }
        for d in after.of_user(ui) {
            pairs.entry(key(d)).or_default().1 = Some(d);
        }
        let mut user_changes: Vec<DecisionChange> = pairs
            .into_values()
            .filter_map(|(b, a)| change_of(b, a))
            .map(|(kinds, words, b, a)| DecisionChange {
                user: user.id.clone(),
                user_index: ui,
                kinds,
                before: b.map(DecisionSide::of),
                after: a.map(DecisionSide::of),
                words,
            })
            .collect();
        user_changes.sort_by_key(|c| c.after.as_ref().or(c.before.as_ref()).map(|s| s.at));
        changes.extend(user_changes);
    }
    let count = |r: &Replay| r.users.iter().map(|u| u.decisions.len()).sum();
    ReplayDiff {
        decisions_before: count(before),
        decisions_after: count(after),
        changes,
    }
}

/// The decision at one key in the old and the new replay.
type Pair<'a> = (Option<&'a Decision>, Option<&'a Decision>);

type Change<'a> = (
    Vec<ChangeKind>,
    Vec<WordPiece>,
    Option<&'a Decision>,
    Option<&'a Decision>,
);

fn change_of<'a>(b: Option<&'a Decision>, a: Option<&'a Decision>) -> Option<Change<'a>> {
    let (old, new) = match (b, a) {
        (None, None) => return None,
        (None, Some(_)) => return Some((vec![ChangeKind::Appeared], Vec::new(), b, a)),
        (Some(_), None) => return Some((vec![ChangeKind::Disappeared], Vec::new(), b, a)),
        (Some(old), Some(new)) => (old, new),
    };
    let mut kinds = Vec::new();
    let mut words = Vec::new();
    if old.at != new.at {
        kinds.push(ChangeKind::Moved);
    }
    if old.reason != new.reason {
        kinds.push(ChangeKind::Reason);
    }
    if let (Some(t0), Some(t1)) = (old.text(), new.text())
        && t0 != t1
    {
        kinds.push(ChangeKind::Text);
        words = word_diff(t0, t1);
    }
    (!kinds.is_empty()).then_some((kinds, words, b, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_keeps_common_words_and_marks_the_rest() {
        let d = word_diff(
            "Salut Léa, tu as vu Dune ?",
            "Salut Léa, tu as revu Interstellar ?",
        );
        assert_eq!(
            render_words(&d),
            "Salut Léa, tu as [-vu Dune-] {+revu Interstellar+} ?"
        );
        assert!(word_diff("a b", "a b").iter().all(|w| w.op == WordOp::Same));
        assert_eq!(render_words(&word_diff("", "new words")), "{+new words+}");
    }
}
