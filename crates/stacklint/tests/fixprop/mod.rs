//! Support for `fix_properties.rs`: the variant generator and the shape checks (the real
//! programs used as oracles are in `common::oracles`).

pub mod structure;
pub mod variants;
