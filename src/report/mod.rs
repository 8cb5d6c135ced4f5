//! Exports of engine results: the `simulate --json` contract and the human-readable text.

pub mod csv;
pub mod document;
pub mod html;
pub mod markup;
pub mod palette;
pub mod simulation;
pub mod svg;
