//! Streaming readers for Redis and Valkey RDB and AOF files, and an RDB writer (built in the rdb issue).
