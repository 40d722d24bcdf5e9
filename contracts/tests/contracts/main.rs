//! Table-driven tests of every contract rule, with the figures of DOMAIN.md, and determinism.

mod custom_rules;
mod determinism;
mod governance;
mod harness;
mod ipr;
mod origin;
mod permissions;
mod risk;
