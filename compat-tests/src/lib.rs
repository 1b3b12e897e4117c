//! Differential compatibility suite: a raw RESP client, server launcher, reference locator, case corpus,
//! random command generator, normaliser and reports. A run sends every command to a reference server
//! (Valkey 9.1) and to a target (ferry) in lockstep and records each reply that differs.

pub mod cases;
pub mod client;
pub mod diff;
pub mod error;
pub mod normalise;
pub mod random;
pub mod refs;
pub mod report;
pub mod server;
pub mod suite;

pub use cases::{Action, Case, CaseFile, Step};
pub use client::{Client, Reply, Response};
pub use diff::Runner;
pub use error::Error;
pub use normalise::{equivalent, rule_for, Rule, RULES};
pub use random::{Command, Family, Generator};
pub use refs::Reference;
pub use report::{Divergence, Origin, Report};
pub use server::{Server, ServerSpec};
pub use suite::SuiteOptions;
