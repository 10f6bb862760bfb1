//! Support for `fix_properties.rs`: the variant generator, the shape checks and the real
//! programs used as oracles.

pub mod oracles;
pub mod structure;
pub mod variants;
