//! Differential compatibility suite: a raw RESP client, case corpus, random command generator, normaliser and reports.
