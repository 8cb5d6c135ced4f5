//! Seeded random streams, one family per synthetic user, and the few samplers the simulation
//! needs.
//!
//! Every user has its own ChaCha8 streams keyed by the run's seed and numbered by the user's
//! index, so a user's draws do not depend on which thread simulates it or in which order. Each
//! purpose (traits, activity, reactions, texts) has its own stream, so drawing texts for a
//! scenario, or reacting differently to another policy's nudges, leaves the other draws alone.
//!
//! The samplers are written here rather than taken from `rand_distr` on purpose: their exact
//! algorithms are part of what a seed reproduces, and `rand_distr` does not promise value
//! stability across versions.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

/// What a stream is used for; each purpose draws from its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Archetype, place, channel, age, and which rare events happen to the user.
    Traits = 0,
    /// Sessions and messages.
    Activity = 1,
    /// Reactions to nudges.
    Reaction = 2,
    /// Texts of the user's messages, for scenarios only.
    Text = 3,
}

/// One seeded random stream.
#[derive(Clone, Debug)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    /// The stream of `purpose` for user `user` of a run seeded with `seed`.
    pub fn new(seed: u64, user: u64, purpose: Purpose) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(b"relance1");
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(user.wrapping_mul(4).wrapping_add(purpose as u64));
        Self(rng)
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// A uniform integer in `[0, n)` (0 when `n` is 0), by multiply-shift: the bias is below
    /// `n / 2^32`, far under anything a simulation could notice.
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// A uniform integer in `[lo, hi]` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    /// A standard normal number (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A log-normal number with the given median and spread (σ of its logarithm).
    pub fn log_normal(&mut self, median: f64, spread: f64) -> f64 {
        median * (spread * self.normal()).exp()
    }

    /// A Poisson-distributed count of mean `lambda` (Knuth's product method below 30, a
    /// rounded normal above).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        self.poisson_with(Poisson::new(lambda))
    }

    /// A Poisson-distributed count from [`Poisson::new`], the same draw as [`Stream::poisson`]
    /// without computing `exp(−λ)` each time.
    pub fn poisson_with(&mut self, p: Poisson) -> u32 {
        if p.lambda <= 0.0 {
            return 0;
        }
        if p.lambda >= 30.0 {
            let x = p.lambda + p.lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u32;
        }
        let mut k = 0;
        let mut product = self.unit();
        while product > p.limit {
            k += 1;
            product *= self.unit();
        }
        k
    }

    /// An index drawn from cumulative weights (`cumulative[i]` is the sum of weights `0..=i`;
    /// the last one is the total, which must be positive).
    pub fn pick(&mut self, cumulative: &[f64]) -> usize {
        let Some(&total) = cumulative.last() else {
            return 0;
        };
        let x = self.unit() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1)
    }
}

/// A Poisson distribution's mean with its `exp(−λ)`, computed once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poisson {
    lambda: f64,
    limit: f64,
}

impl Poisson {
    /// The Poisson distribution of mean `lambda`.
    pub fn new(lambda: f64) -> Self {
        Self {
            lambda,
            limit: (-lambda).exp(),
        }
    }
}

/// Cumulative sums of `weights`, for [`Stream::pick`].
pub fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .into_iter()
        .map(|w| {
            total += w.max(0.0);
            total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_user_and_purpose_only() {
        let a: Vec<u32> = {
            let mut s = Stream::new(7, 42, Purpose::Activity);
            (0..8).map(|_| s.below(1000)).collect()
        };
        let again: Vec<u32> = {
            let mut s = Stream::new(7, 42, Purpose::Activity);
            (0..8).map(|_| s.below(1000)).collect()
        };
        assert_eq!(a, again);
        for other in [
            Stream::new(8, 42, Purpose::Activity),
            Stream::new(7, 43, Purpose::Activity),
            Stream::new(7, 42, Purpose::Reaction),
        ] {
            let mut other = other;
            let b: Vec<u32> = (0..8).map(|_| other.below(1000)).collect();
            assert_ne!(a, b);
        }
    }

    #[test]
    fn samplers_have_the_expected_means() {
        let mut s = Stream::new(1, 0, Purpose::Traits);
        let n = 200_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / n as f64;
        let poisson = mean(&mut || f64::from(s.poisson(1.7)));
        assert!((poisson - 1.7).abs() < 0.02, "{poisson}");
        let big = mean(&mut || f64::from(s.poisson(45.0)));
        assert!((big - 45.0).abs() < 0.2, "{big}");
        let chance = mean(&mut || f64::from(u8::from(s.chance(0.3))));
        assert!((chance - 0.3).abs() < 0.01, "{chance}");
        let between = mean(&mut || f64::from(s.between(2, 6)));
        assert!((between - 4.0).abs() < 0.02, "{between}");
        let mut logs: Vec<f64> = (0..n).map(|_| s.log_normal(90.0, 1.0)).collect();
        logs.sort_by(f64::total_cmp);
        let median = logs[n / 2];
        assert!((median - 90.0).abs() < 2.0, "{median}");
    }

    #[test]
    fn pick_follows_the_weights_and_skips_zero_weights() {
        let mut s = Stream::new(3, 9, Purpose::Traits);
        let c = cumulative([1.0, 0.0, 3.0]);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[s.pick(&c)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = f64::from(counts[2]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }
}
