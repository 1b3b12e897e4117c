//! Integration tests of ferry-rdb: the checked-in corpus written by real servers (and hand-built
//! legacy files), round trips through the writer, DUMP payloads and AOF replay.

mod suite;
