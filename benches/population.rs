//! A whole population run at a small size (10,000 users over 90 days under `omni`, every core),
//! so that regressions of the simulation show. The 1,000,000-user target is measured with the
//! release binary (README, "Population simulation").
//!
//! `cargo bench --bench population`

use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use relance::model::{Persona, Policy};
use relance::sim::{NoSink, Population, PopulationConfig, Progress};

fn population(c: &mut Criterion) {
    let mut group = c.benchmark_group("population");
    group.sample_size(10);
    for (name, users) in [("omni", 10_000), ("pushy", 10_000)] {
        let policy = Policy::preset(name).expect("a preset");
        let mut config = PopulationConfig::new(Persona::new_blank("bench", "Bench"), policy)
            .expect("the built-in mix loads");
        config.users = users;
        config.days = 90;
        let pop = Population::new(config).expect("a valid population");
        group.bench_function(format!("{name}/{users}_users/90_days"), |b| {
            b.iter(|| {
                pop.run(&Progress::default(), &AtomicBool::new(false), &NoSink)
                    .expect("the run completes")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, population);
criterion_main!(benches);
