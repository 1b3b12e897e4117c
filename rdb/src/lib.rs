//! Redis and Valkey persistence formats: the compact encodings shared by RDB files and the server's
//! in-memory collections (listpack, intset), and — as the rdb issue progresses — streaming RDB/AOF
//! readers and an RDB writer.

pub mod intset;
pub mod listpack;
