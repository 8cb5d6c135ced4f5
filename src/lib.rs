//! Relance
pub mod safety;
