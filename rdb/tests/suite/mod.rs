//! Test modules; `manifest` reads the corpus manifests written by scripts/gen_rdb_corpus.py.

mod aof_corpus;
mod dump_payloads;
mod manifest;
mod rdb_corpus;
mod roundtrip;
