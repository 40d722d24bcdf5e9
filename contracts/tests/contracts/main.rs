//! Table-driven tests of every contract rule, with the figures of DOMAIN.md, and determinism.

// Table rows are tuples `(description, input, expected)`; naming each row type would not help.
#![allow(clippy::type_complexity)]

mod api;
mod consistency;
mod custom_rules;
mod determinism;
mod governance;
mod harness;
mod ipr;
mod keys;
mod origin;
mod permissions;
mod risk;
