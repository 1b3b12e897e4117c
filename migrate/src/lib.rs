//! Migration sources (RDB, AOF, live PSYNC, SCAN+DUMP) to sinks (embedded engine, remote server or cluster), with verification and cutover (built in the migrate issue).
