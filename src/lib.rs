//! Relance
