//! Exports of engine results: the `simulate --json` contract and the human-readable text.

pub mod simulation;
