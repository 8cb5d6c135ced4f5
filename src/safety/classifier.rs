//! The trained crisis classifier that stands beside the lexicons.
//!
//! A logistic regression over hashed features of a text in matching form (see
//! [`crate::safety::fold`]: letters and digits between single spaces): word unigrams, word
//! bigrams, skip-bigrams (a word and the one two places after it: "take … life") and byte 3-,
//! 4- and 5-grams (across word boundaries, so `" rope "` and `"kill my"` are features too).
//! Each feature is hashed on the fly into one of [`BUCKETS`] weights; nothing is allocated per
//! feature. The weight sum is divided by the square root of the number of features (at least
//! `MIN_FEATURES`, so that two n-grams of a very short text do not decide alone), so long and
//! short texts are on one scale, and the probability is the logistic of that plus a bias.
//!
//! Written here rather than taken from a crate: no lean, well-kept Rust crate does hashed
//! n-gram logistic regression (the fastText / Vowpal Wabbit family) without bringing a
//! runtime or bindings, and the model is a hundred lines.
//!
//! The shipped model (`assets/safety/model.bin`, trained by
//! `cargo run --release --example train_safety`) is embedded in the binary. Its file holds
//! the weights quantized to `i8` with one scale, the bias and one threshold per language, each
//! chosen on that language's development split: the shipped floors, on for every persona (a
//! persona may lower them for a stricter check, see `SafetyAdditions::crisis_threshold`). A
//! message is read at the threshold of its user's language (see
//! [`Classifier::threshold`]). The file also holds what each lower threshold costs: the share
//! of the development split's ordinary chat the whole check flags there (see
//! [`Classifier::ordinary_chat_flagged_bp`]), so that a designer sees it.

use std::sync::LazyLock;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

use super::fold::Folded;
use crate::model::Lang;

/// Bits of the feature hash.
pub const BITS: u32 = 20;
/// Number of weights (hash buckets).
pub const BUCKETS: usize = 1 << BITS;

const MAGIC: &[u8; 4] = b"RLC2";
const HEADER_BYTES: usize = 4 + 4 + 4 + 4 + 4 * LANGS;
/// Languages with a threshold of their own, in [`Lang::ALL`] order.
const LANGS: usize = Lang::ALL.len();
/// Thresholds of the ordinary-chat curve: 0.01, 0.02, … 0.99.
const CURVE_POINTS: usize = 99;

const SEED_WORD: u64 = 0x51_7c_c1_b7_27_22_0a_95;
const SEED_BIGRAM: u64 = 0x2f_17_9a_4e_63_d1_05_b3;
const SEED_CHARS: u64 = 0x6c_8e_94_4d_1f_3a_b2_07;
const SEED_SKIP: u64 = 0x3b_d4_19_e2_75_0c_8f_61;
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
const FINAL: u64 = 0xD6E8_FEB8_6659_FD93;

/// Shortest and longest byte n-grams.
const CHAR_MIN: usize = 3;
const CHAR_MAX: usize = 5;

#[inline]
fn mix(h: u64, b: u64) -> u64 {
    (h.rotate_left(5) ^ b).wrapping_mul(MIX)
}

#[inline]
fn bucket(h: u64) -> usize {
    (h.wrapping_mul(FINAL) >> (64 - BITS)) as usize
}

/// Calls `visit(bucket, start, end)` for every feature of `folded` (a text in matching form,
/// ` word word `), with the folded byte range that produced it.
fn for_each_feature(folded: &[u8], mut visit: impl FnMut(usize, usize, usize)) {
    // Byte n-grams.
    for i in 0..folded.len() {
        let mut h = SEED_CHARS;
        for n in 1..=CHAR_MAX {
            let Some(&b) = folded.get(i + n - 1) else {
                break;
            };
            h = mix(h, u64::from(b));
            if n >= CHAR_MIN {
                visit(bucket(h), i, i + n);
            }
        }
    }
    // Words, bigrams and skip-bigrams (a word with the one two places before it): the hash and
    // start of the two words before, the farther first.
    let mut before: [Option<(u64, usize)>; 2] = [None, None];
    let mut word = |h: u64, s: usize, e: usize| {
        visit(bucket(h), s, e);
        if let Some((ph, ps)) = before[1] {
            visit(bucket(mix(mix(SEED_BIGRAM, ph), h)), ps, e);
        }
        if let Some((bh, bs)) = before[0] {
            visit(bucket(mix(mix(SEED_SKIP, bh), h)), bs, e);
        }
        before = [before[1], Some((h, s))];
    };
    let mut start = None;
    let mut h = SEED_WORD;
    for (i, &b) in folded.iter().enumerate() {
        if b == b' ' {
            if let Some(s) = start.take() {
                word(h, s, i);
            }
            h = SEED_WORD;
        } else {
            start.get_or_insert(i);
            h = mix(h, u64::from(b));
        }
    }
    if let Some(s) = start {
        word(h, s, folded.len());
    }
}

/// What the classifier read in one text, or in several summed (a sitting): additive, so the
/// evidence of a sitting is the sum of its messages' evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Sum of the quantized weights of the features.
    pub sum: i64,
    /// Number of features.
    pub features: u32,
}

impl Evidence {
    /// The evidence of both texts together.
    pub fn plus(self, other: Evidence) -> Evidence {
        Evidence {
            sum: self.sum + other.sum,
            features: self.features + other.features,
        }
    }
}

/// A trained model with full-precision weights (what training produces).
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// One weight per hash bucket.
    pub weights: Vec<f32>,
    /// The bias.
    pub bias: f32,
}

/// The model as shipped: weights quantized to `i8`, and the thresholds chosen on the dev split.
#[derive(Clone, Debug)]
pub struct Classifier {
    weights: Vec<i8>,
    scale: f32,
    bias: f32,
    /// Per language, in [`Lang::ALL`] order.
    thresholds: [f32; LANGS],
    /// In basis points, at thresholds 0.01 to 0.99: the share of the development split's
    /// ordinary chat messages that the whole check (lexicon or classifier, each message read
    /// alone) flags when a persona asks for that threshold (each language reading at it or at its
    /// own threshold, whichever is lower), the highest over languages. Empty when the model
    /// does not carry it (one being trained).
    chat_flagged_bp: Vec<u16>,
}

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid crisis model file: {0}")]
pub struct ModelFileError(&'static str);

static BUILTIN: LazyLock<Classifier> = LazyLock::new(|| {
    match Classifier::from_bytes(include_bytes!("../../assets/safety/model.bin")) {
        Ok(c) => c,
        // Checked by a unit test; a crisis check that silently lets everything through
        // would be worse than failing loudly.
        Err(err) => panic!("the embedded crisis model is invalid: {err}"),
    }
});

impl Classifier {
    /// The model embedded from `assets/safety/model.bin`.
    pub fn builtin() -> &'static Classifier {
        &BUILTIN
    }

    /// Quantizes `model` (one scale for all weights) with `threshold` in every language.
    pub fn quantize(model: &Model, threshold: f32) -> Classifier {
        let max = model.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let weights = model
            .weights
            .iter()
            .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Classifier {
            weights,
            scale,
            bias: model.bias,
            thresholds: [threshold; LANGS],
            chat_flagged_bp: Vec::new(),
        }
    }

    /// The same classifier with another threshold in `lang`.
    pub fn with_threshold(mut self, lang: Lang, threshold: f32) -> Classifier {
        self.thresholds[lang.index()] = threshold;
        self
    }

    /// The same classifier carrying the ordinary-chat curve (see
    /// [`Classifier::ordinary_chat_flagged_bp`]): `flagged(t)` is the share in [0, 1] of
    /// ordinary development chat flagged at threshold `t`, called at 0.01, 0.02, … 0.99.
    pub fn with_chat_curve(mut self, flagged: impl Fn(f32) -> f64) -> Classifier {
        self.chat_flagged_bp = (1..=CURVE_POINTS)
            .map(|i| (flagged(i as f32 / 100.0).clamp(0.0, 1.0) * 10_000.0).round() as u16)
            .collect();
        self
    }

    /// The share, in basis points, of ordinary chat messages that the whole check (lexicon or
    /// classifier) flags as a crisis when a persona asks for `threshold` (each language reading
    /// at it or at its own shipped threshold, whichever is lower), measured on the development
    /// split when the model was trained (the highest over languages). Between two hundredths, the lower one's:
    /// a lower threshold flags at least as much, so the share is never understated. `None` when
    /// the model does not carry that curve or `threshold` is not in [0.01, 1).
    pub fn ordinary_chat_flagged_bp(&self, threshold: f32) -> Option<u16> {
        if !(0.0..1.0).contains(&threshold) {
            return None;
        }
        // The margin keeps 0.65 (64.999… once multiplied in f32) on 0.65.
        let hundredths = (threshold * 100.0 + 1e-3).floor() as usize;
        let i = hundredths.checked_sub(1)?;
        self.chat_flagged_bp.get(i).copied()
    }

    /// Reads a model file (see [`Classifier::to_bytes`]).
    ///
    /// # Errors
    ///
    /// A wrong magic number, size or value.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelFileError> {
        if bytes.len() < HEADER_BYTES || &bytes[..4] != MAGIC {
            return Err(ModelFileError("not a model file"));
        }
        let word = |i: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[i..i + 4]);
            b
        };
        if u32::from_le_bytes(word(4)) != BITS {
            return Err(ModelFileError("hashed for another number of buckets"));
        }
        let scale = f32::from_le_bytes(word(8));
        let bias = f32::from_le_bytes(word(12));
        let thresholds: [f32; LANGS] =
            std::array::from_fn(|l| f32::from_le_bytes(word(16 + 4 * l)));
        let in_range = |t: &f32| (0.0..=1.0).contains(t);
        if !(scale.is_finite() && bias.is_finite() && thresholds.iter().all(in_range)) {
            return Err(ModelFileError("scale, bias or threshold out of range"));
        }
        let body = &bytes[HEADER_BYTES..];
        if body.len() != BUCKETS && body.len() != BUCKETS + 2 * CURVE_POINTS {
            return Err(ModelFileError("wrong number of weights"));
        }
        let (weights, curve) = body.split_at(BUCKETS);
        let chat_flagged_bp: Vec<u16> = curve
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        if chat_flagged_bp.iter().any(|&bp| bp > 10_000) {
            return Err(ModelFileError("ordinary-chat curve out of range"));
        }
        Ok(Classifier {
            weights: weights.iter().map(|&b| b as i8).collect(),
            scale,
            bias,
            thresholds,
            chat_flagged_bp,
        })
    }

    /// The model file: magic `RLC2`, bits, scale, bias and the threshold of each language in
    /// [`Lang::ALL`] order (little-endian `u32` and `f32`), then one `i8` per bucket, then, when the model carries it, the ordinary-chat
    /// curve (one little-endian `u16` in basis points per threshold 0.01 … 0.99).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEADER_BYTES + self.weights.len() + 2 * self.chat_flagged_bp.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&BITS.to_le_bytes());
        out.extend_from_slice(&self.scale.to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        for t in self.thresholds {
            out.extend_from_slice(&t.to_le_bytes());
        }
        out.extend(self.weights.iter().map(|&w| w as u8));
        for bp in &self.chat_flagged_bp {
            out.extend_from_slice(&bp.to_le_bytes());
        }
        out
    }

    /// The threshold chosen on `lang`'s development split, or the lowest of them (the
    /// strictest) for a language the model has none for (`--crisis-threshold model`).
    pub fn threshold(&self, lang: Option<Lang>) -> f32 {
        threshold_for(&self.thresholds, lang)
    }

    /// The highest threshold of any language: a persona's threshold above it would make the
    /// check weaker in every language.
    pub fn highest_threshold(&self) -> f32 {
        self.thresholds.iter().copied().fold(0.0, f32::max)
    }

    /// The evidence of a text already in matching form.
    pub fn evidence_folded(&self, folded: &str) -> Evidence {
        let mut sum = 0i64;
        let mut features = 0u32;
        for_each_feature(folded.as_bytes(), |b, _, _| {
            sum += i64::from(self.weights[b]);
            features += 1;
        });
        Evidence { sum, features }
    }

    /// The evidence of a text.
    pub fn evidence(&self, text: &str) -> Evidence {
        let mut folded = Folded::default();
        folded.fill(text, false);
        self.evidence_folded(&folded.text)
    }

    /// The probability that the text (or sitting) of `evidence` is a crisis message.
    pub fn probability(&self, evidence: Evidence) -> f32 {
        let z = if evidence.features == 0 {
            self.bias
        } else {
            self.bias + evidence.sum as f32 * self.scale * norm(evidence.features as usize)
        };
        sigmoid(z)
    }

    /// The largest weight sum a message of `features` features may have so that no sitting of
    /// at most `messages` messages, each within its own bound, reaches `threshold`. Each bound
    /// is `room × √features / √messages` (room: the logit left above the bias, in weight
    /// units). By Cauchy–Schwarz, k ≤ `messages` such messages sum to at most
    /// `room × √(their features)`, and a sitting's norm divides by at least that root: its
    /// probability stays under the threshold, whatever the mix. A message with more features
    /// may weigh more. `None` when even an empty sitting reaches it (a threshold at or below
    /// the prior).
    pub fn max_ordinary_sum(&self, threshold: f32, messages: usize, features: u32) -> Option<i64> {
        // A message without features ("👍", "?!") weighs nothing in any sitting and is never
        // read alone: its sum is 0, and 0 is its bound.
        if features == 0 {
            return Some(0);
        }
        if threshold >= 1.0 || threshold.is_nan() {
            return (threshold >= 1.0).then_some(i64::MAX);
        }
        let logit = (threshold / (1.0 - threshold)).ln();
        let room = logit - self.bias;
        if room <= 0.0 {
            return None;
        }
        let per_message =
            room * (features as f32).sqrt() / (self.scale * (messages.max(1) as f32).sqrt());
        // Strictly below the threshold: one unit of margin for the float rounding.
        Some((per_message.floor() as i64 - 1).max(-1))
    }

    /// The probability of a message in which the model finds no evidence either way (a weight
    /// sum of zero): a threshold at or below it would read such messages as a crisis.
    pub fn prior(&self) -> f32 {
        sigmoid(self.bias)
    }

    /// The probability that `text` is a crisis message.
    pub fn score(&self, text: &str) -> f32 {
        self.probability(self.evidence(text))
    }

    /// Why `texts` (one message, or the messages of a sitting in order) score as they do:
    /// the probability and the words or phrases that weighed most towards a crisis, at most
    /// `top` of them, in text order. A phrase is a run of adjacent heavy words.
    pub fn explain(&self, texts: &[&str], top: usize) -> Explanation {
        let mut total = Evidence::default();
        // (text index, word start, word end in the original, contribution in quantized units)
        let mut words: Vec<(usize, usize, usize, f64)> = Vec::new();
        let mut folded = Folded::default();
        for (t, text) in texts.iter().enumerate() {
            folded.fill_mapped(text, false);
            let bytes = folded.text.as_bytes();
            // Word spans in the folded text.
            let mut spans: Vec<(usize, usize)> = Vec::new();
            let mut start = None;
            for (i, &b) in bytes.iter().enumerate() {
                match (b == b' ', start) {
                    (true, Some(s)) => {
                        spans.push((s, i));
                        start = None;
                    }
                    (false, None) => start = Some(i),
                    _ => {}
                }
            }
            if let Some(s) = start {
                spans.push((s, bytes.len()));
            }
            let mut contribution = vec![0f64; spans.len()];
            // The word of each folded byte (`None` on spaces).
            let mut word_of: Vec<Option<usize>> = vec![None; bytes.len()];
            for (w, &(s, e)) in spans.iter().enumerate() {
                word_of[s..e].iter_mut().for_each(|slot| *slot = Some(w));
            }
            total = total.plus(self.evidence_folded(&folded.text));
            for_each_feature(bytes, |b, s, end| {
                // Spread the weight evenly over the words the feature touches.
                let touched = || {
                    let mut last = None;
                    word_of[s..end].iter().flatten().filter(move |&&w| {
                        let new = last != Some(w);
                        last = Some(w);
                        new
                    })
                };
                let n = touched().count();
                if n == 0 {
                    return;
                }
                let share = f64::from(self.weights[b]) / n as f64;
                for &w in touched() {
                    contribution[w] += share;
                }
            });
            for (i, &(s, e)) in spans.iter().enumerate() {
                let (os, oe) = folded.original_range(text, s, e);
                words.push((t, os, oe, contribution[i]));
            }
        }
        let probability = self.probability(total);
        let mut order: Vec<usize> = (0..words.len()).filter(|&i| words[i].3 > 0.0).collect();
        order.sort_by(|&a, &b| words[b].3.total_cmp(&words[a].3).then(a.cmp(&b)));
        order.truncate(top);
        order.sort_unstable();
        let mut phrases: Vec<String> = Vec::new();
        let mut last: Option<usize> = None;
        for i in order {
            let (t, s, e, _) = words[i];
            let text = texts[t];
            match (last, phrases.last_mut()) {
                (Some(l), Some(p)) if l + 1 == i && words[l].0 == t => {
                    let from = words[l].2;
                    p.push_str(text.get(from..e).unwrap_or_default());
                }
                _ => phrases.push(text.get(s..e).unwrap_or_default().to_owned()),
            }
            last = Some(i);
        }
        // A sitting that says the same thing twice names it once.
        let mut named = std::collections::HashSet::new();
        phrases.retain(|p| named.insert(p.to_lowercase()));
        Explanation {
            probability,
            phrases,
        }
    }
}

/// Why the classifier scored a text as it did.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The probability of a crisis.
    pub probability: f32,
    /// The words or phrases that weighed most towards a crisis, in text order.
    pub phrases: Vec<String>,
}

/// Fewer features than this count as this many: a very short text ("ok", "merci") holds
/// little evidence, and its score stays near the prior rather than swing on two n-grams.
const MIN_FEATURES: usize = 48;

/// The factor of the weight sum of a text of `features` features.
fn norm(features: usize) -> f32 {
    1.0 / (features.max(MIN_FEATURES) as f32).sqrt()
}

/// Of per-language `thresholds` (in [`Lang::ALL`] order), `lang`'s, or the lowest (the
/// strictest) for another language or none: the one rule for reading a message whose language
/// has no threshold of its own.
pub(crate) fn threshold_for(thresholds: &[f32; LANGS], lang: Option<Lang>) -> f32 {
    match lang {
        Some(l) => thresholds[l.index()],
        None => thresholds.iter().copied().fold(f32::INFINITY, f32::min),
    }
}

/// Whether `t` is a probability a threshold may be: finite, above 0, at most 1.
pub fn is_probability(t: f32) -> bool {
    t.is_finite() && t > 0.0 && t <= 1.0
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// One labelled training text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// The text.
    pub text: String,
    /// Whether it is a crisis message.
    pub crisis: bool,
}

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainParams {
    /// Passes over the examples.
    pub epochs: u32,
    /// Step size of the first pass (divided by the pass number after).
    pub learning_rate: f32,
    /// L2 penalty, applied to the weights an example touches.
    pub l2: f32,
    /// Weight of a crisis example's loss against an ordinary one's (recall matters more).
    pub positive_weight: f32,
    /// Seed of the shuffle of each pass.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 60,
            learning_rate: 20.0,
            l2: 3e-3,
            positive_weight: 1.5,
            seed: 13,
        }
    }
}

/// Trains a model by stochastic gradient descent on the logistic loss. Deterministic: the
/// same examples and params give the same weights (one thread, seeded shuffle).
pub fn train(examples: &[Example], params: &TrainParams) -> Model {
    let mut folded = Folded::default();
    let features: Vec<Vec<u32>> = examples
        .iter()
        .map(|ex| {
            folded.fill(&ex.text, false);
            let mut f = Vec::new();
            for_each_feature(folded.text.as_bytes(), |b, _, _| f.push(b as u32));
            f
        })
        .collect();
    let mut model = Model {
        weights: vec![0.0; BUCKETS],
        bias: 0.0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    for epoch in 0..params.epochs {
        // Fisher–Yates with the seeded stream.
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let lr = params.learning_rate / (1.0 + epoch as f32);
        for &k in &order {
            let f = &features[k];
            let x = norm(f.len());
            let z = model.bias + x * f.iter().map(|&b| model.weights[b as usize]).sum::<f32>();
            let y = if examples[k].crisis { 1.0 } else { 0.0 };
            let weight = if examples[k].crisis {
                params.positive_weight
            } else {
                1.0
            };
            let g = (sigmoid(z) - y) * weight;
            for &b in f {
                let w = &mut model.weights[b as usize];
                *w -= lr * (g * x + params.l2 * *w);
            }
            model.bias -= lr * g * 0.1;
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<Example> {
        [
            ("I bought rope today, tonight is the night", true),
            ("je veux en finir ce soir", true),
            ("I can't take this anymore, I want to die", true),
            ("vous serez tous mieux sans moi", true),
            ("the film was great, loved the ending", false),
            ("on a vu un super film hier soir", false),
            ("I'm dying to see the new season", false),
            ("ce film m'a tuée de rire", false),
        ]
        .iter()
        .map(|&(t, c)| Example {
            text: t.to_owned(),
            crisis: c,
        })
        .collect()
    }

    #[test]
    fn training_twice_gives_the_same_weights() {
        let params = TrainParams::default();
        let a = train(&examples(), &params);
        let b = train(&examples(), &params);
        assert_eq!(a, b);
        assert!(a.weights.iter().any(|&w| w != 0.0));
        let other = train(&examples(), &TrainParams { seed: 14, ..params });
        assert_ne!(a, other, "the seed drives the shuffle");
    }

    #[test]
    fn a_tiny_model_separates_its_training_lines() {
        let model = train(&examples(), &TrainParams::default());
        let c = Classifier::quantize(&model, 0.5);
        for ex in examples() {
            let p = c.score(&ex.text);
            assert_eq!(p >= 0.5, ex.crisis, "{:?} scored {p}", ex.text);
        }
    }

    #[test]
    fn model_file_round_trips_and_rejects_garbage() {
        let model = train(&examples(), &TrainParams::default());
        let c = Classifier::quantize(&model, 0.4).with_threshold(Lang::En, 0.3);
        let back = Classifier::from_bytes(&c.to_bytes()).expect("round trip");
        assert_eq!(back.weights, c.weights);
        assert_eq!(back.threshold(Some(Lang::Fr)), 0.4);
        assert_eq!(back.threshold(Some(Lang::En)), 0.3);
        assert_eq!(
            back.threshold(None),
            0.3,
            "the strictest for another language"
        );
        assert_eq!(back.highest_threshold(), 0.4);
        assert!(Classifier::from_bytes(b"nope").is_err());
        let mut short = c.to_bytes();
        short.pop();
        assert!(Classifier::from_bytes(&short).is_err());
        assert_eq!(
            back.ordinary_chat_flagged_bp(0.3),
            None,
            "no curve was given"
        );

        // With the ordinary-chat curve.
        let c = c.with_chat_curve(|t| f64::from(1.0 - t));
        let bytes = c.to_bytes();
        let back = Classifier::from_bytes(&bytes).expect("round trip");
        assert_eq!(back.ordinary_chat_flagged_bp(0.3), Some(7_000));
        assert_eq!(back.ordinary_chat_flagged_bp(0.65), Some(3_500));
        assert_eq!(back.ordinary_chat_flagged_bp(0.99), Some(100));
        // Between two hundredths, the lower one's share, which is the higher.
        assert_eq!(back.ordinary_chat_flagged_bp(0.655), Some(3_500));
        assert_eq!(back.ordinary_chat_flagged_bp(0.645), Some(3_600));
        assert_eq!(back.ordinary_chat_flagged_bp(0.999), Some(100));
        for outside in [0.0, 0.005, 1.0, -0.5, f32::NAN, f32::INFINITY] {
            assert_eq!(back.ordinary_chat_flagged_bp(outside), None, "{outside}");
        }
        let mut short = bytes.clone();
        short.pop();
        assert!(Classifier::from_bytes(&short).is_err());
        let mut over = bytes;
        let last = over.len() - 2;
        over[last..].copy_from_slice(&10_001u16.to_le_bytes());
        assert!(Classifier::from_bytes(&over).is_err(), "a share over 100 %");
    }

    #[test]
    fn the_embedded_model_loads_with_its_ordinary_chat_curve() {
        let c = Classifier::builtin();
        for lang in Lang::ALL {
            let t = c.threshold(Some(lang));
            assert!(t > c.prior() && t < 1.0, "{lang:?} {t}");
        }
        // The curve falls as the threshold rises, and the shipped thresholds keep the dev
        // split's ordinary chat at the trainer's bound (1.5 %; 1 % before 2026-12-08).
        let floor = c.highest_threshold();
        let at = |t: f32| c.ordinary_chat_flagged_bp(t).expect("the curve is shipped");
        assert!(at(0.2) > at(0.5) && at(0.5) >= at(floor));
        assert!(at(floor) <= 150, "{}", at(floor));
    }

    #[test]
    fn messages_under_the_ordinary_bound_never_make_a_crisis_together() {
        let c = Classifier::builtin();
        let threshold = 0.9;
        let at_bound = |features: u32| Evidence {
            sum: c
                .max_ordinary_sum(threshold, 3, features)
                .expect("the prior is below 0.9"),
            features,
        };
        // The worst sittings: one, two or three messages at their bounds, with few or many
        // features each, in every mix.
        let counts = [0u32, 1, 10, 47, 48, 49, 100, 200, 1000];
        for &a in &counts {
            assert!(c.probability(at_bound(a)) < threshold, "{a}");
            for &b in &counts {
                assert!(c.probability(at_bound(a).plus(at_bound(b))) < threshold);
                for &d in &counts {
                    let sitting = at_bound(a).plus(at_bound(b)).plus(at_bound(d));
                    assert!(c.probability(sitting) < threshold, "{a} {b} {d}");
                }
            }
        }
        // A message with more features may weigh more.
        assert!(at_bound(200).sum > at_bound(48).sum);
        // The bound is tight: three messages of 48 features, a few units over it, reach it.
        let over = Evidence {
            sum: at_bound(48).sum + 3,
            features: 48,
        };
        let sitting = over.plus(over).plus(over);
        assert!(
            c.probability(sitting) >= threshold * 0.99,
            "{}",
            c.probability(sitting)
        );
        // Off, nothing is bounded; at the prior or below, nothing is ordinary.
        assert_eq!(c.max_ordinary_sum(f32::INFINITY, 3, 10), Some(i64::MAX));
        assert_eq!(c.max_ordinary_sum(0.0, 3, 10), None);
        // A message without features ("👍") weighs nothing: always ordinary.
        assert_eq!(c.max_ordinary_sum(threshold, 3, 0), Some(0));
        assert_eq!(c.max_ordinary_sum(0.0, 3, 0), Some(0));
        assert!(c.prior() > 0.0 && c.prior() < c.threshold(None));
    }

    #[test]
    fn evidence_is_additive_over_a_sitting() {
        let c = Classifier::builtin();
        let a = c.evidence("I bought rope");
        let b = c.evidence("tonight");
        let ab = a.plus(b);
        assert_eq!(ab.features, a.features + b.features);
        assert_eq!(ab.sum, a.sum + b.sum);
    }

    #[test]
    fn explanation_names_the_heavy_words_of_the_text() {
        let model = train(&examples(), &TrainParams::default());
        let c = Classifier::quantize(&model, 0.5);
        let text = "Honestly I bought rope today";
        let e = c.explain(&[text], 3);
        assert!(!e.phrases.is_empty());
        for p in &e.phrases {
            assert!(text.contains(p.as_str()), "{p:?} is not a span of the text");
        }
        assert!((e.probability - c.score(text)).abs() < 1e-6);
    }

    #[test]
    fn a_sitting_that_repeats_itself_names_each_phrase_once() {
        let model = train(&examples(), &TrainParams::default());
        let c = Classifier::quantize(&model, 0.5);
        let text = "I bought rope today";
        let once = c.explain(&[text], 3);
        assert!(!once.phrases.is_empty());
        let twice = c.explain(&[text, "ok", text], 6);
        assert_eq!(twice.phrases, once.phrases, "the same phrases, each once");
    }
}
