//! Test modules; `manifest` reads the corpus manifests written by scripts/gen_rdb_corpus.py.

mod manifest;
mod rdb_corpus;
