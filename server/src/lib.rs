//! The ferry engine: a Valkey-compatible server. One thread owns the keyspace and runs every command to
//! completion (Valkey's model), while connection tasks on the same thread parse requests and write
//! batched replies. See docs/ARCHITECTURE.md.

pub mod blocking;
pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod exec;
pub mod expire_conditions;
pub mod glob;
pub mod keyspace;
pub mod network;
pub mod notify;
pub mod pqsort;
pub mod pubsub;
pub mod rdb_bridge;
pub mod server;
pub mod stats;
pub mod types;

pub use config::{Config, ConfigError};
pub use network::run;
