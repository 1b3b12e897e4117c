//! A seeded random command generator. Commands are drawn per family (strings, keys, bitmaps,
//! hyperloglog, hashes, sets, lists, sorted sets, geo, sort, transactions) with weights, and arguments from small pools so commands collide on the
//! same keys and hit edge cases: integer bounds, floats, empty and binary strings, negative and huge
//! counts, wrong arity, non-numbers and unknown options. It avoids replies that legitimately differ
//! between two correct servers: expirations are either far in the future and pairwise at least 1000 s
//! apart (so NX/XX/GT/LT comparisons never depend on the clock) or already in the past, and
//! string/bit offsets stay small so no command allocates hundreds of megabytes.

use std::collections::{HashSet, VecDeque};

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// One command: its name and arguments.
pub type Command = Vec<Vec<u8>>;

/// A group of related commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// SET, GET, INCR, APPEND, LCS, ...
    Strings,
    /// DEL, EXPIRE, RENAME, COPY, SELECT, SCAN, ...
    Keys,
    /// SETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD.
    Bitmaps,
    /// PFADD, PFCOUNT, PFMERGE.
    HyperLogLog,
    /// HSET, HGET, HINCRBYFLOAT, HRANDFIELD, HSCAN, the field expiration commands, ...
    Hashes,
    /// SADD, SREM, SPOP, SINTERSTORE, SSCAN, ... and OBJECT ENCODING of the sets they make.
    Sets,
    /// MULTI ... EXEC/DISCARD blocks, WATCH, stray EXEC.
    Transactions,
    /// LPUSH, LRANGE, LINSERT, LMOVE, LMPOP, the blocking pops with short timeouts, ...
    Lists,
    /// ZADD, ZRANGE (all forms), ZUNIONSTORE, ZPOPMIN, ZRANDMEMBER, ZSCAN, ...
    SortedSets,
    /// GEOADD, GEOPOS, GEODIST, GEOSEARCH(STORE), GEORADIUS*.
    Geo,
    /// SORT and SORT_RO over lists, sets and sorted sets, with the keys their BY/GET patterns read.
    Sort,
}

impl Family {
    /// Every family.
    pub const ALL: &'static [Family] = &[
        Family::Strings,
        Family::Keys,
        Family::Bitmaps,
        Family::HyperLogLog,
        Family::Hashes,
        Family::Sets,
        Family::Transactions,
        Family::Lists,
        Family::SortedSets,
        Family::Geo,
        Family::Sort,
    ];

    /// The name used in `FERRY_COMPAT_ONLY` (and the case file of the same family).
    pub fn name(self) -> &'static str {
        match self {
            Family::Strings => "strings",
            Family::Keys => "keys",
            Family::Bitmaps => "bitmaps",
            Family::HyperLogLog => "hyperloglog",
            Family::Hashes => "hashes",
            Family::Sets => "sets",
            Family::Transactions => "transactions",
            Family::Lists => "lists",
            Family::SortedSets => "sorted_sets",
            Family::Geo => "geo",
            Family::Sort => "sort",
        }
    }

    /// The family with this name.
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Its share of a mixed stream. A transaction block counts once but yields several commands.
    pub fn default_weight(self) -> u32 {
        match self {
            Family::Strings => 40,
            Family::Keys => 30,
            Family::Bitmaps => 15,
            Family::HyperLogLog => 10,
            Family::Hashes => 20,
            Family::Sets => 25,
            Family::Transactions => 5,
            Family::Lists => 30,
            Family::SortedSets => 20,
            Family::Geo => 8,
            Family::Sort => 10,
        }
    }

    /// Commands per seed of a stream of this family alone, run besides the mixed streams when the
    /// family's share of those is too small to cover it (0: none). A divergence in it replays with
    /// `FERRY_COMPAT_ONLY=<family>` and the seed and count shown.
    pub fn own_stream_len(self) -> usize {
        match self {
            // With their shares of the mixed streams, over 10,000 commands per run for the
            // foundation's families together and over 50,000 for the collections' (a unit test of
            // the suite counts them).
            Family::Strings => 700,
            Family::Keys => 500,
            Family::Bitmaps => 200,
            // With its share of the mixed streams (about 1,400 of 10,000), over 10,000 per run.
            Family::Hashes => 2000,
            Family::Sets => 2000,
            Family::Lists => 2000,
            Family::SortedSets => 1850,
            Family::Geo => 500,
            // About 550 SORTs per seed, so over 2,500 per run besides the mixed streams' share.
            Family::Sort => 1000,
            _ => 0,
        }
    }
}

const KEYS: &[&[u8]] = &[
    b"k0",
    b"k1",
    b"k2",
    b"k3",
    b"k4",
    b"k5",
    b"k6",
    b"a",
    b"b",
    b"{x}y",
    b"k\x00\xff",
    b"h0",
];

/// DUMP payloads written by Valkey 9.1.2 (a string, a list, an intset, a hash and a sorted set, each
/// in its small encoding) and one with a broken checksum, for RESTORE.
const DUMP_PAYLOADS: &[&[u8]] = &[
    b"\x00\x05helloP\x00\xacX\x16\xe7\xfbfG\xfe",
    b"\x12\x01\x02\x0c\x0c\x00\x00\x00\x02\x00\x81a\x02\x01\x01\xffP\x00[\xbc\xe2\xb22E\xcdq",
    b"\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00P\x00\xa0S\xf1 \xaa\xb9G\xda",
    b"\x10\x0d\x0d\x00\x00\x00\x02\x00\x81f\x02\x81v\x02\xffP\x00\xef\xdb\xf4\xd5\xbd\x06oi",
    b"\x11\x0f\x0f\x00\x00\x00\x02\x00\x81m\x02\x831.5\x04\xffP\x00\x86\xf3N\xf1\xe6w)~",
    b"\x00\x05helloP\x00\xacX\x16\xe7\xfbfG\xff",
];

/// Keys list commands prefer, so most of them find a list (the others collide with strings).
const LIST_KEYS: &[&[u8]] = &[b"l0", b"l1", b"l2"];

/// Integers at the boundaries of the listpack integer encodings.
const LIST_INTEGERS: &[&[u8]] = &[
    b"127",
    b"128",
    b"-4096",
    b"4095",
    b"4096",
    b"-32768",
    b"32767",
    b"8388607",
    b"-8388608",
    b"2147483647",
    b"2147483648",
    b"-9223372036854775808",
    b"9223372036854775807",
    b"007",
    b"-0",
];

/// Keys HyperLogLog commands prefer, so most of them find a valid HLL (the others collide with strings).
const HLL_KEYS: &[&[u8]] = &[b"h0", b"h1", b"h2"];

/// Keys hash commands prefer, so most of them find a hash (the others meet strings or nothing).
const HASH_KEYS: &[&[u8]] = &[b"h0", b"h1", b"h2", b"h3"];

/// Hash fields: integers (stored as such in listpacks), empty, binary, and one longer than
/// `hash-max-listpack-value`.
const HASH_FIELDS: &[&[u8]] = &[
    b"f0",
    b"f1",
    b"f2",
    b"f3",
    b"f4",
    b"1",
    b"-1",
    b"012",
    b"",
    b"\x00\xff",
    b"0123456789012345678901234567890123456789012345678901234567890123456789",
];

/// HRANDFIELD counts. No huge negative count that is valid without WITHVALUES: a broken-arity variant
/// that drops WITHVALUES would ask both servers for billions of replies. Huge positive counts are
/// safe (the whole hash), and errors with WITHVALUES.
const HRANDFIELD_COUNTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"10",
    b"100",
    b"-1",
    b"-2",
    b"-5",
    b"-20",
    b"abc",
    b"1.5",
    b"",
    b"4611686018427387903",
    b"4611686018427387904",
    b"9223372036854775807",
    b"-9223372036854775808",
];

const LONG_45: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI";

const VALUES: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"7",
    b"42",
    b"100",
    b"-100",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"3.14",
    b"-0.5",
    b"1e3",
    b"1e308",
    b"inf",
    b"abc",
    b"",
    b" 12",
    b"012",
    b"0x10",
    b"hello world",
    LONG_45,
    b"\x00\xff\r\n\x01",
    "\u{20ac}uro".as_bytes(),
];

const INTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"2",
    b"-2",
    b"3",
    b"5",
    b"10",
    b"-10",
    b"100",
    b"-100",
    b"1000",
    b"2147483647",
    b"-2147483648",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"99999999999999999999",
    b"abc",
    b"1.5",
    b"",
];

const FLOATS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"0.1",
    b"-0.1",
    b"3.0e3",
    b"1.5",
    b"1e308",
    b"-1e308",
    b"5.0e-3",
    b"inf",
    b"-inf",
    b"nan",
    b"abc",
    b"1.1.1",
    b"",
    b"10",
    b"0x10",
    b"17.0000000000000000001",
];

/// Relative expirations that are errors or the same on any server whatever the clock.
const BAD_EXPIRES: &[&[u8]] = &[
    b"0",
    b"-1",
    b"-100",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854776",
    b"abc",
    b"1.5",
    b"",
];

const PATTERNS: &[&[u8]] = &[
    b"*",
    b"k*",
    b"k?",
    b"*1*",
    b"[a-c]*",
    b"[^k]*",
    b"\\*",
    b"{x}*",
    b"nomatch*",
];

const BIT_OFFSETS: &[&[u8]] = &[
    b"0", b"1", b"7", b"8", b"15", b"63", b"64", b"100", b"1000", b"5000",
];

const BAD_BIT_OFFSETS: &[&[u8]] = &[b"-1", b"4294967296", b"abc", b""];

const BITFIELD_TYPES: &[&[u8]] = &[
    b"i1", b"i5", b"i8", b"i16", b"i32", b"i63", b"i64", b"u1", b"u5", b"u8", b"u16", b"u32",
    b"u63",
];

const BAD_BITFIELD_TYPES: &[&[u8]] = &[b"u64", b"i65", b"x8", b"i0", b"I8"];

const BITFIELD_OFFSETS: &[&[u8]] = &[b"0", b"1", b"7", b"#0", b"#1", b"#3", b"100", b"1000"];

const BAD_BITFIELD_OFFSETS: &[&[u8]] = &[b"-1", b"#-1", b"abc", b"4294967296"];

/// Keys set commands prefer, so most of them find a set (the others collide with strings).
const SET_KEYS: &[&[u8]] = &[b"s0", b"s1", b"s2", b"s3", b"s4"];

/// A key only SPOP sequences use, created and deleted by each sequence.
const SPOP_SCRATCH_KEY: &[u8] = b"spop:scratch";

/// One byte longer than `set-max-listpack-value` (64), so a set holding it is a hashtable.
const LONG_MEMBER: &[u8] = b"0123456789012345678901234567890123456789012345678901234567890123x";

const SET_MEMBERS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"7",
    b"300",
    b"-70000",
    b"2147483648",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"01",
    b"+1",
    b"-0",
    b"1.5",
    b" 1",
    b"a",
    b"b",
    b"hello",
    b"",
    b"\x00\xff",
    LONG_45,
    LONG_MEMBER,
];

/// Counts for SPOP and SRANDMEMBER: edge values and errors (never a huge negative SRANDMEMBER
/// count, which makes the server stream replies without end).
const SET_COUNTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"10",
    b"100",
    b"-1",
    b"-3",
    b"-20",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"abc",
    b"1.5",
    b"",
];

const SET_PATTERNS: &[&[u8]] = &[
    b"*",
    b"m*",
    b"*1*",
    b"?",
    b"[a-c]*",
    b"-*",
    b"\\*",
    b"nomatch*",
];

/// Values `CONFIG SET set-max-...` takes in a random stream: the defaults most of the time. The
/// intset limit never drops below the listpack limit: below it, the encoding of a STORE result fed
/// from a hashtable depends on the hashtable's iteration order, which differs between processes.
const SET_CONFIGS: &[(&str, &[&[u8]])] = &[
    (
        "set-max-intset-entries",
        &[b"512", b"512", b"512", b"128", b"200"],
    ),
    (
        "set-max-listpack-entries",
        &[b"128", b"128", b"128", b"0", b"2", b"10"],
    ),
    (
        "set-max-listpack-value",
        &[b"64", b"64", b"64", b"0", b"1", b"3"],
    ),
];

/// Sorted-set keys (they also collide with the shared pool through `zset_key`).
const ZSET_KEYS: &[&[u8]] = &[b"z0", b"z1", b"z2", b"z3"];

/// Keys whose members all have score 0: the only keys lex ranges run on, because over mixed scores a
/// lex range depends on the skiplist's random levels in Valkey itself.
const LEX_KEYS: &[&[u8]] = &[b"lex0", b"lex1"];

const GEO_KEYS: &[&[u8]] = &[b"g0", b"g1", b"g2"];

const ZMEMBERS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"e",
    b"f",
    b"g",
    b"h",
    b"",
    b"12",
    b"-5",
    b"007",
    b"x y",
    b"\x00\xff",
    b"w100",
    b"w150",
];

const SCORES: &[&[u8]] = &[
    b"0",
    b"-0",
    b"1.5",
    b"-2.25",
    b"0.1",
    b"3.0000000000000004",
    b"inf",
    b"-inf",
    b"+inf",
    b"1e10",
    b"123456789012345678",
    b"5e-324",
    b".5",
    b"1e-7",
    b"+3",
];

const BAD_SCORES: &[&[u8]] = &[b"nan", b"abc", b"", b"1e400", b"0x10", b" 1", b"1.1.1"];

const SCORE_BOUNDS: &[&[u8]] = &[
    b"-inf", b"+inf", b"inf", b"(1", b"2", b"(2.5", b"0", b"(0", b"1e10", b"-1", b"(", b"", b"abc",
    b"nan", b"1e400", b"((1", b" 1",
];

const LEX_BOUNDS: &[&[u8]] = &[
    b"-", b"+", b"[a", b"(a", b"[c", b"(c", b"[e", b"[w1", b"(w15", b"[", b"(", b"a", b"[z", b"+x",
];

const BAD_COORDS: &[&[u8]] = &[
    b"200",
    b"-181",
    b"86",
    b"abc",
    b"",
    b"nan",
    b"180",
    b"-180",
    b"85.05112878",
];

/// The sort family's own lists, sets and sorted sets (their members never hold a NUL byte), and
/// where it stores.
const SORT_LIST_KEYS: &[&[u8]] = &[b"sl0", b"sl1"];
const SORT_SET_KEYS: &[&[u8]] = &[b"ss0", b"ss1"];
const SORT_ZSET_KEYS: &[&[u8]] = &[b"sz0", b"sz1"];
const SORT_DESTINATIONS: &[&[u8]] = &[b"sd0", b"sd1", b"sl1", b"k0"];

const SORT_ELEMENTS: &[&[u8]] = &[
    b"1",
    b"2",
    b"10",
    b"-1",
    b"0",
    b"-0",
    b"1.5",
    b"007",
    b"1e2",
    b"inf",
    b"a",
    b"b",
    b"B",
    b"c",
    b"x y",
    b"",
    b"\xc3\xa9",
    b"\xff",
];

const SORT_WEIGHTS: &[&[u8]] = &[
    b"0",
    b"-0",
    b"1.5",
    b"-2.5",
    b"1e3",
    b"inf",
    b"-inf",
    b"007",
    b"5.",
    b".5",
    b"2.5e-324",
];

const BAD_SORT_WEIGHTS: &[&[u8]] = &[b"abc", b"", b" 1", b"0x10", b"nan", b"1e400"];

const SORT_BY_PATTERNS: &[&[u8]] = &[
    b"w_*",
    b"w_*",
    b"w_*",
    b"h_*->f",
    b"h_*->f",
    b"a_*",
    b"h_*->g",
    b"nosort",
    b"nosort",
    b"missing_*",
    b"w_*->f",
    b"h_*",
    b"*",
];

const SORT_GET_PATTERNS: &[&[u8]] = &[
    b"#",
    b"#",
    b"w_*",
    b"h_*->f",
    b"h_*->g",
    b"a_*",
    b"missing_*",
    b"constant",
    b"h_*->",
];

const SORT_COUNTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"-1",
    b"-3",
    b"100",
    b"9223372036854775807",
    b"-9223372036854775808",
];

const DBS: &[&[u8]] = &[b"0", b"1"];

const BAD_DBS: &[&[u8]] = &[b"16", b"-1", b"abc"];

/// A deterministic, endless stream of commands for one seed.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SmallRng,
    weights: Vec<(Family, u32)>,
    pending: VecDeque<Command>,
    used_expiry_slots: HashSet<u32>,
    /// The family whose turn produced the last command (a block's commands all belong to it).
    current: Option<Family>,
}

impl Generator {
    /// All families with their default weights.
    pub fn new(seed: u64) -> Generator {
        Generator::with_families(seed, Family::ALL)
    }

    /// The given families with their default weights.
    pub fn with_families(seed: u64, families: &[Family]) -> Generator {
        let weights: Vec<_> = families.iter().map(|f| (*f, f.default_weight())).collect();
        Generator::with_weights(seed, &weights)
    }

    /// Explicit per-family weights (families with weight 0 never appear).
    pub fn with_weights(seed: u64, weights: &[(Family, u32)]) -> Generator {
        Generator {
            rng: SmallRng::seed_from_u64(seed),
            weights: weights.iter().copied().filter(|(_, w)| *w > 0).collect(),
            pending: VecDeque::new(),
            used_expiry_slots: HashSet::new(),
            current: None,
        }
    }

    /// The family the last command came from (`None` before the first).
    pub fn last_family(&self) -> Option<Family> {
        self.current
    }

    /// The next command, or None when no family is enabled.
    pub fn next_command(&mut self) -> Option<Command> {
        if let Some(command) = self.pending.pop_front() {
            return Some(command);
        }
        let family = self.pick_family()?;
        self.current = Some(family);
        if family == Family::Transactions {
            let block = self.transaction_block();
            self.pending.extend(block);
            return self.pending.pop_front();
        }
        // SPOP changes sets at random, so it only comes in sequences whose outcome is known (see
        // `spop_sequence`), never alone where broken arity or a transaction could make it random.
        if family == Family::Lists && self.rng.gen_ratio(1, 40) {
            let block = self.list_fill_block();
            self.pending.extend(block);
            return self.pending.pop_front();
        }
        if family == Family::Sets && self.rng.gen_ratio(1, 10) {
            let sequence = self.spop_sequence();
            self.pending.extend(sequence);
            return self.pending.pop_front();
        }
        Some(self.single(family))
    }

    fn pick_family(&mut self) -> Option<Family> {
        let total: u32 = self.weights.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut roll = self.rng.gen_range(0..total);
        for (family, weight) in &self.weights {
            if roll < *weight {
                return Some(*family);
            }
            roll -= weight;
        }
        None
    }

    /// One command of a non-transaction family, sometimes with its arity broken.
    fn single(&mut self, family: Family) -> Command {
        let mut command = match family {
            Family::Strings => self.strings(),
            Family::Keys => self.keys(),
            Family::Bitmaps => self.bitmaps(),
            Family::HyperLogLog => self.hyperloglog(),
            Family::Hashes => self.hashes(),
            Family::Sets => self.sets(),
            Family::Lists => self.lists(),
            Family::SortedSets => self.sorted_sets(),
            Family::Geo => self.geo(),
            Family::Sort => self.sort_family(),
            Family::Transactions => self.strings(),
        };
        if self.rng.gen_ratio(3, 100) {
            if command.len() > 1 && self.rng.gen_bool(0.5) {
                command.pop();
            } else {
                command.push(b"extra".to_vec());
            }
        }
        if self.rng.gen_ratio(1, 10) {
            if let Some(name) = command.first_mut() {
                name.make_ascii_lowercase();
            }
        }
        command
    }

    fn pick(&mut self, pool: &[&[u8]]) -> Vec<u8> {
        pool.choose(&mut self.rng)
            .map_or_else(Vec::new, |v| v.to_vec())
    }

    /// Mostly from `good`, sometimes (15%) from `bad`.
    fn pick_mostly(&mut self, good: &[&[u8]], bad: &[&[u8]]) -> Vec<u8> {
        if self.rng.gen_ratio(3, 20) {
            self.pick(bad)
        } else {
            self.pick(good)
        }
    }

    fn key(&mut self) -> Vec<u8> {
        self.pick(KEYS)
    }

    fn hll_key(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(3, 4) {
            self.pick(HLL_KEYS)
        } else {
            self.key()
        }
    }

    fn hll_keys(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(min..=max);
        (0..n).map(|_| self.hll_key()).collect()
    }

    fn keys_list(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(min..=max);
        (0..n).map(|_| self.key()).collect()
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..20) {
            0 => vec![b'x'; 200],
            1..=5 => {
                let n = self.rng.gen_range(0..1000);
                n.to_string().into_bytes()
            }
            _ => self.pick(VALUES),
        }
    }

    fn int(&mut self) -> Vec<u8> {
        if self.rng.gen_bool(0.5) {
            let n: i64 = self.rng.gen_range(-20..50);
            return n.to_string().into_bytes();
        }
        self.pick(INTS)
    }

    fn float(&mut self) -> Vec<u8> {
        self.pick(FLOATS)
    }

    fn one_of(&mut self, options: &[&str]) -> Vec<u8> {
        options
            .choose(&mut self.rng)
            .map_or_else(Vec::new, |o| o.as_bytes().to_vec())
    }

    /// A future expiration slot no other expiration of this stream uses, so any two expirations are at
    /// least 1000 s apart.
    fn expiry_slot(&mut self) -> u64 {
        loop {
            let slot = self.rng.gen_range(1..=1_000_000u32);
            if self.used_expiry_slots.insert(slot) {
                return u64::from(slot);
            }
        }
    }

    /// A relative expiration in seconds (or milliseconds when `millis`).
    fn relative_expire(&mut self, millis: bool) -> Vec<u8> {
        if self.rng.gen_ratio(1, 5) {
            return self.pick(BAD_EXPIRES);
        }
        let seconds = 100 + self.expiry_slot() * 1000;
        let value = if millis { seconds * 1000 } else { seconds };
        value.to_string().into_bytes()
    }

    /// An absolute expiration (unix seconds or milliseconds): far future, or already past.
    fn absolute_expire(&mut self, millis: bool) -> Vec<u8> {
        let seconds = match self.rng.gen_range(0..10) {
            0 => return self.pick(BAD_EXPIRES),
            1..=3 => self.rng.gen_range(1..1_000_000_000u64),
            _ => 3_000_000_000 + self.expiry_slot() * 1000,
        };
        let value = if millis { seconds * 1000 } else { seconds };
        value.to_string().into_bytes()
    }

    /// The expiration option of SET / GETEX.
    fn expire_option(&mut self, set: bool) -> Vec<Vec<u8>> {
        match self.rng.gen_range(0..if set { 6 } else { 5 }) {
            0 => vec![b"EX".to_vec(), self.relative_expire(false)],
            1 => vec![b"PX".to_vec(), self.relative_expire(true)],
            2 => vec![b"EXAT".to_vec(), self.absolute_expire(false)],
            3 => vec![b"PXAT".to_vec(), self.absolute_expire(true)],
            4 if set => vec![b"KEEPTTL".to_vec()],
            _ => vec![b"PERSIST".to_vec()],
        }
    }

    fn strings(&mut self) -> Command {
        let mut c: Command = Vec::new();
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..27) {
            0..=3 => {
                c = vec![word("SET"), self.key(), self.value()];
                let mut options: Vec<Vec<Vec<u8>>> = Vec::new();
                if self.rng.gen_bool(0.3) {
                    options.push(vec![self.one_of(&["NX", "XX", "nx"])]);
                }
                if self.rng.gen_bool(0.25) {
                    options.push(vec![word("GET")]);
                }
                if self.rng.gen_bool(0.4) {
                    options.push(self.expire_option(true));
                }
                if self.rng.gen_ratio(1, 20) {
                    options.push(vec![word("IFEQ"), self.value()]);
                }
                if self.rng.gen_ratio(1, 20) {
                    // Conflicting or unknown options.
                    options.push(vec![
                        self.one_of(&["NX", "XX", "KEEPTTL", "EX", "FOO", "PX"])
                    ]);
                }
                options.shuffle(&mut self.rng);
                c.extend(options.into_iter().flatten());
            }
            4..=6 => c = vec![word("GET"), self.key()],
            7 => {
                c = vec![word("GETEX"), self.key()];
                if self.rng.gen_bool(0.7) {
                    c.extend(self.expire_option(false));
                }
            }
            8 => c = vec![word("GETDEL"), self.key()],
            9 => c = vec![word("GETSET"), self.key(), self.value()],
            10 => c = vec![word("SETNX"), self.key(), self.value()],
            11 => {
                c = vec![
                    word("SETEX"),
                    self.key(),
                    self.relative_expire(false),
                    self.value(),
                ]
            }
            12 => {
                c = vec![
                    word("PSETEX"),
                    self.key(),
                    self.relative_expire(true),
                    self.value(),
                ]
            }
            13 | 14 => {
                c = vec![self.one_of(&["MSET", "MSETNX"])];
                for _ in 0..self.rng.gen_range(1..=4) {
                    c.push(self.key());
                    c.push(self.value());
                }
            }
            15 => {
                c = vec![word("MGET")];
                c.extend(self.keys_list(1, 5));
            }
            16 | 17 => c = vec![self.one_of(&["INCR", "DECR"]), self.key()],
            18 => c = vec![self.one_of(&["INCRBY", "DECRBY"]), self.key(), self.int()],
            19 => c = vec![word("INCRBYFLOAT"), self.key(), self.float()],
            20 => c = vec![word("APPEND"), self.key(), self.value()],
            21 => c = vec![word("STRLEN"), self.key()],
            22 => {
                c = vec![
                    self.one_of(&["GETRANGE", "SUBSTR"]),
                    self.key(),
                    self.int(),
                    self.int(),
                ]
            }
            23 => {
                let offset = self.pick(&[
                    b"0",
                    b"1",
                    b"5",
                    b"44",
                    b"45",
                    b"100",
                    b"-1",
                    b"536870912",
                    b"abc",
                ]);
                c = vec![word("SETRANGE"), self.key(), offset, self.value()];
            }
            24 => {
                c = vec![word("LCS"), self.key(), self.key()];
                if self.rng.gen_bool(0.3) {
                    c.push(word("LEN"));
                }
                if self.rng.gen_bool(0.4) {
                    c.push(word("IDX"));
                }
                if self.rng.gen_bool(0.3) {
                    c.push(word("MINMATCHLEN"));
                    c.push(self.int());
                }
                if self.rng.gen_bool(0.3) {
                    c.push(word("WITHMATCHLEN"));
                }
                if self.rng.gen_ratio(1, 10) {
                    c.push(word("FOO"));
                }
            }
            25 => {
                // Integers, so INCR and friends often find a number.
                let number = self.rng.gen_range(-1000..1000i64).to_string().into_bytes();
                c = vec![word("SET"), self.key(), number];
            }
            _ => c.extend([word("ECHO"), self.value()]),
        }
        c
    }

    fn expire_command(&mut self) -> Command {
        self.timed_expire(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"], Self::key)
    }

    /// One of an expire family — `names` are the seconds, milliseconds, absolute-seconds and
    /// absolute-milliseconds forms — on a key from `key`, with up to two NX/XX/GT/LT conditions.
    fn timed_expire(&mut self, names: [&'static str; 4], key: fn(&mut Self) -> Vec<u8>) -> Command {
        let choice = self.rng.gen_range(0..4);
        let (millis, absolute) = (choice % 2 == 1, choice >= 2);
        let when = if absolute {
            self.absolute_expire(millis)
        } else {
            self.relative_expire(millis)
        };
        let mut c = vec![names[choice].as_bytes().to_vec(), key(self), when];
        for _ in 0..self.rng.gen_range(0..=2).min(self.rng.gen_range(0..=2)) {
            c.push(self.one_of(&["NX", "XX", "GT", "LT", "gt", "FOO"]));
        }
        c
    }

    fn keys(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let db = |g: &mut Self| g.pick_mostly(DBS, BAD_DBS);
        match self.rng.gen_range(0..30) {
            0 | 1 => {
                let mut c = vec![self.one_of(&["DEL", "UNLINK"])];
                c.extend(self.keys_list(1, 3));
                c
            }
            2 | 3 => {
                let mut c = vec![word("EXISTS")];
                c.extend(self.keys_list(1, 3));
                c
            }
            4 => vec![word("TYPE"), self.key()],
            5 => vec![self.one_of(&["RENAME", "RENAMENX"]), self.key(), self.key()],
            6 => {
                let mut c = vec![word("COPY"), self.key(), self.key()];
                if self.rng.gen_bool(0.4) {
                    c.push(word("DB"));
                    c.push(db(self));
                }
                if self.rng.gen_bool(0.4) {
                    c.push(word("REPLACE"));
                }
                c
            }
            7 => vec![word("MOVE"), self.key(), db(self)],
            8..=11 => self.expire_command(),
            12 => vec![word("PERSIST"), self.key()],
            13 | 14 => vec![self.one_of(&["TTL", "PTTL"]), self.key()],
            15 => vec![self.one_of(&["EXPIRETIME", "PEXPIRETIME"]), self.key()],
            16 => {
                let mut c = vec![word("TOUCH")];
                c.extend(self.keys_list(1, 3));
                c
            }
            17 => vec![word("DBSIZE")],
            18 | 19 => vec![word("SELECT"), db(self)],
            20 => vec![word("SWAPDB"), db(self), db(self)],
            21 | 22 => vec![word("OBJECT"), word("ENCODING"), self.key()],
            23 => vec![word("KEYS"), self.pick(PATTERNS)],
            24 => {
                let mut c = vec![word("SCAN"), word("0"), word("COUNT"), word("1000")];
                if self.rng.gen_bool(0.5) {
                    c.push(word("MATCH"));
                    c.push(self.pick(PATTERNS));
                }
                if self.rng.gen_bool(0.3) {
                    c.push(word("TYPE"));
                    c.push(self.one_of(&["string", "list", "none"]));
                }
                c
            }
            25 => vec![word("RANDOMKEY")],
            26 => vec![word("PING")],
            27 => {
                if self.rng.gen_ratio(1, 4) {
                    vec![word("FLUSHDB")]
                } else {
                    vec![word("EXISTS"), self.key()]
                }
            }
            28 => self.dump_or_restore(),
            _ => vec![word("GET"), self.key()],
        }
    }

    /// DUMP of any key, or RESTORE of a fixed payload with a TTL that is none, far away or (ABSTTL 1)
    /// long past, sometimes with REPLACE.
    fn dump_or_restore(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        if self.rng.gen_bool(0.5) {
            return vec![word("DUMP"), self.key()];
        }
        let (ttl, absolute) = *[
            ("0", false),
            ("100000000", false),
            ("1", true),
            ("-1", false),
        ]
        .choose(&mut self.rng)
        .unwrap_or(&("0", false));
        let mut c = vec![
            word("RESTORE"),
            self.key(),
            word(ttl),
            self.pick(DUMP_PAYLOADS),
        ];
        if absolute {
            c.push(word("ABSTTL"));
        }
        if self.rng.gen_bool(0.5) {
            c.push(word("REPLACE"));
        }
        c
    }

    fn bitmaps(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..12) {
            0..=2 => {
                let value = self.pick_mostly(&[b"0", b"1"], &[b"2", b"-1", b"abc"]);
                let offset = self.pick_mostly(BIT_OFFSETS, BAD_BIT_OFFSETS);
                vec![word("SETBIT"), self.key(), offset, value]
            }
            3 => {
                let offset = self.pick_mostly(BIT_OFFSETS, BAD_BIT_OFFSETS);
                vec![word("GETBIT"), self.key(), offset]
            }
            4 | 5 => {
                let mut c = vec![word("BITCOUNT"), self.key()];
                if self.rng.gen_bool(0.6) {
                    c.push(self.int());
                    c.push(self.int());
                    if self.rng.gen_bool(0.5) {
                        c.push(self.one_of(&["BIT", "BYTE", "bit", "FOO"]));
                    }
                } else if self.rng.gen_ratio(1, 5) {
                    c.push(self.int());
                }
                c
            }
            6 | 7 => {
                let bit = self.pick_mostly(&[b"0", b"1"], &[b"2", b"abc"]);
                let mut c = vec![word("BITPOS"), self.key(), bit];
                if self.rng.gen_bool(0.6) {
                    c.push(self.int());
                    if self.rng.gen_bool(0.6) {
                        c.push(self.int());
                        if self.rng.gen_bool(0.5) {
                            c.push(self.one_of(&["BIT", "BYTE", "FOO"]));
                        }
                    }
                }
                c
            }
            8 => {
                let op = self.one_of(&["AND", "OR", "XOR", "NOT", "and", "FOO"]);
                let mut c = vec![word("BITOP"), op, self.key()];
                c.extend(self.keys_list(1, 3));
                c
            }
            9 | 10 => {
                let name = if self.rng.gen_ratio(1, 4) {
                    "BITFIELD_RO"
                } else {
                    "BITFIELD"
                };
                let mut c = vec![word(name), self.key()];
                for _ in 0..self.rng.gen_range(0..=4) {
                    let kind = self.pick_mostly(BITFIELD_TYPES, BAD_BITFIELD_TYPES);
                    let offset = self.pick_mostly(BITFIELD_OFFSETS, BAD_BITFIELD_OFFSETS);
                    match self.rng.gen_range(0..8) {
                        0..=2 => c.extend([word("GET"), kind, offset]),
                        3 | 4 => c.extend([word("SET"), kind, offset, self.int()]),
                        5 | 6 => c.extend([word("INCRBY"), kind, offset, self.int()]),
                        _ => c.extend([
                            word("OVERFLOW"),
                            self.one_of(&["WRAP", "SAT", "FAIL", "sat", "FOO"]),
                        ]),
                    }
                }
                c
            }
            _ => vec![word("GET"), self.key()],
        }
    }

    fn hyperloglog(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..10) {
            0..=4 => {
                let mut c = vec![word("PFADD"), self.hll_key()];
                if self.rng.gen_ratio(1, 10) {
                    let base = self.rng.gen_range(0..10_000u32);
                    let n = self.rng.gen_range(100..400u32);
                    c.extend((base..base + n).map(|i| format!("e{i}").into_bytes()));
                } else {
                    for _ in 0..self.rng.gen_range(0..=5) {
                        let element = if self.rng.gen_bool(0.5) {
                            format!("m{}", self.rng.gen_range(0..40)).into_bytes()
                        } else {
                            self.value()
                        };
                        c.push(element);
                    }
                }
                c
            }
            5..=7 => {
                let mut c = vec![word("PFCOUNT")];
                c.extend(self.hll_keys(1, 3));
                c
            }
            8 => {
                let mut c = vec![word("PFMERGE"), self.hll_key()];
                c.extend(self.hll_keys(0, 3));
                c
            }
            _ => vec![word("GETRANGE"), self.hll_key(), word("0"), word("-1")],
        }
    }

    fn set_key(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(4, 5) {
            self.pick(SET_KEYS)
        } else {
            self.key()
        }
    }

    fn set_keys(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(min..=max);
        (0..n).map(|_| self.set_key()).collect()
    }

    fn set_member(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..10) {
            0..=3 => self.rng.gen_range(-5..40).to_string().into_bytes(),
            4..=6 => format!("m{}", self.rng.gen_range(0..30)).into_bytes(),
            _ => self.pick(SET_MEMBERS),
        }
    }

    /// `n` members: all integers, all short strings, or mixed; sometimes one long member.
    fn set_members(&mut self, n: usize) -> Vec<Vec<u8>> {
        let base = self.rng.gen_range(0..1000);
        let kind = self.rng.gen_range(0..4);
        let mut members: Vec<Vec<u8>> = (0..n)
            .map(|i| match kind {
                0 => (base + i).to_string().into_bytes(),
                1 => format!("m{}", base + i).into_bytes(),
                2 if i % 2 == 0 => (base + i).to_string().into_bytes(),
                2 => format!("m{}", base + i).into_bytes(),
                _ => self.set_member(),
            })
            .collect();
        if n > 0 && self.rng.gen_ratio(1, 8) {
            members[0] = LONG_MEMBER.to_vec();
        }
        members
    }

    /// `n` distinct members for an SPOP scratch set, all of the same length (integers, short
    /// strings, both, or all longer than `set-max-listpack-value` can be), so whichever members SPOP
    /// leaves behind, the set they make has the same encoding on every server.
    fn scratch_members(&mut self, n: usize) -> Vec<Vec<u8>> {
        let kind = self.rng.gen_range(0..4);
        (0..n)
            .map(|i| match kind {
                0 => (1000 + i).to_string().into_bytes(),
                1 => format!("m{}", 100 + i).into_bytes(),
                2 if i % 2 == 0 => (1000 + i).to_string().into_bytes(),
                2 => format!("m{}", 100 + i).into_bytes(),
                _ => [LONG_MEMBER, (1000 + i).to_string().as_bytes()].concat(),
            })
            .collect()
    }

    /// A number of members that often lands on or next to an encoding threshold.
    fn set_size(&mut self) -> usize {
        match self.rng.gen_range(0..10) {
            0 => self.rng.gen_range(126..=130),
            1 => self.rng.gen_range(510..=514),
            2 => self.rng.gen_range(20..300),
            _ => self.rng.gen_range(1..12),
        }
    }

    fn sets(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..60) {
            0..=11 => {
                let mut c = vec![word("SADD"), self.set_key()];
                let n = self.rng.gen_range(1..=5);
                c.extend((0..n).map(|_| self.set_member()));
                c
            }
            12 | 13 => {
                let mut c = vec![word("SADD"), self.set_key()];
                let n = self.set_size();
                c.extend(self.set_members(n));
                c
            }
            14..=18 => {
                let mut c = vec![word("SREM"), self.set_key()];
                let n = self.rng.gen_range(1..=4);
                c.extend((0..n).map(|_| self.set_member()));
                c
            }
            19 | 20 => vec![word("SMEMBERS"), self.set_key()],
            21 | 22 => vec![word("SISMEMBER"), self.set_key(), self.set_member()],
            23 | 24 => {
                let mut c = vec![word("SMISMEMBER"), self.set_key()];
                let n = self.rng.gen_range(1..=4);
                c.extend((0..n).map(|_| self.set_member()));
                c
            }
            25 | 26 => vec![word("SCARD"), self.set_key()],
            27 | 28 => {
                let mut c = vec![word("SRANDMEMBER"), self.set_key()];
                if self.rng.gen_ratio(3, 4) {
                    c.push(self.pick(SET_COUNTS));
                }
                c
            }
            29..=31 => vec![
                word("SMOVE"),
                self.set_key(),
                self.set_key(),
                self.set_member(),
            ],
            32 | 33 => {
                let mut c = vec![self.one_of(&["SINTER", "SUNION", "SDIFF"])];
                c.extend(self.set_keys(1, 3));
                c
            }
            34..=38 => {
                let mut c = vec![
                    self.one_of(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                    self.set_key(),
                ];
                c.extend(self.set_keys(1, 4));
                c
            }
            39 | 40 => self.sintercard(),
            41 | 42 => {
                let cursor = if self.rng.gen_ratio(4, 5) {
                    b"0".to_vec()
                } else {
                    self.pick(&[b"5", b"-1", b"abc", b"18446744073709551615"])
                };
                let mut c = vec![word("SSCAN"), self.set_key(), cursor];
                if self.rng.gen_bool(0.5) {
                    c.push(word("MATCH"));
                    c.push(self.pick(SET_PATTERNS));
                }
                // A big COUNT finishes any scan in one call, so both servers give every member.
                c.push(word("COUNT"));
                c.push(self.pick(&[b"100000", b"100000", b"0", b"abc"]));
                c
            }
            43..=49 => vec![word("OBJECT"), word("ENCODING"), self.set_key()],
            50 => vec![word("TYPE"), self.set_key()],
            51 | 52 => vec![self.one_of(&["DEL", "UNLINK"]), self.set_key()],
            53 => vec![word("SET"), self.set_key(), self.value()],
            54 => {
                let (name, values) = SET_CONFIGS[self.rng.gen_range(0..SET_CONFIGS.len())];
                vec![word("CONFIG"), word("SET"), word(name), self.pick(values)]
            }
            55 => vec![
                word("COPY"),
                self.set_key(),
                self.set_key(),
                word("REPLACE"),
            ],
            56 => vec![word("RENAME"), self.set_key(), self.set_key()],
            _ => vec![word("SCARD"), self.set_key()],
        }
    }

    fn sintercard(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let keys = self.set_keys(1, 3);
        let numkeys = match self.rng.gen_range(0..10) {
            0 => self.pick(&[b"0", b"-1", b"abc", b"9223372036854775808"]),
            1 => (keys.len() + 1).to_string().into_bytes(),
            _ => keys.len().to_string().into_bytes(),
        };
        let mut c = vec![word("SINTERCARD"), numkeys];
        c.extend(keys);
        match self.rng.gen_range(0..6) {
            0 | 1 => {
                c.push(self.one_of(&["LIMIT", "limit"]));
                c.push(self.pick(&[b"0", b"1", b"2", b"5", b"-1", b"abc"]));
            }
            2 => c.push(word("LIMIT")),
            3 => c.push(word("FOO")),
            _ => {}
        }
        c
    }

    /// SPOP in forms whose effect on the data is the same on any server: on a fresh scratch set
    /// followed by SCARD and OBJECT ENCODING (which depend only on the counts) and then deleted,
    /// or on the usual keys with a count that takes everything, nothing, or is an error.
    fn spop_sequence(&mut self) -> Vec<Command> {
        let word = |s: &str| s.as_bytes().to_vec();
        if self.rng.gen_ratio(1, 3) {
            let count = self.pick(&[b"0", b"100000", b"9223372036854775807", b"-1", b"abc", b""]);
            let mut spop = vec![word("SPOP"), self.set_key(), count];
            if self.rng.gen_ratio(1, 10) {
                spop.push(word("extra"));
            }
            return vec![spop];
        }
        let key = SPOP_SCRATCH_KEY.to_vec();
        let size = self.set_size();
        let mut sadd = vec![word("SADD"), key.clone()];
        sadd.extend(self.scratch_members(size));
        let mut spop = vec![word("SPOP"), key.clone()];
        if self.rng.gen_ratio(4, 5) {
            let count = match self.rng.gen_range(0..4) {
                0 => self.rng.gen_range(0..=size + 2),
                1 => size.saturating_sub(self.rng.gen_range(0..=size.min(10))),
                2 => size * 5 / 6 + self.rng.gen_range(0..3),
                _ => self.rng.gen_range(0..=size.min(5)),
            };
            spop.push(count.to_string().into_bytes());
        }
        vec![
            sadd,
            vec![word("OBJECT"), word("ENCODING"), key.clone()],
            vec![word("SRANDMEMBER"), key.clone(), self.pick(SET_COUNTS)],
            spop,
            vec![word("SCARD"), key.clone()],
            vec![word("OBJECT"), word("ENCODING"), key.clone()],
            vec![word("DEL"), key],
        ]
    }

    /// A list key: mostly one of a few list-only keys, sometimes a shared key that may hold a string.
    fn list_key(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(4, 5) {
            self.pick(LIST_KEYS)
        } else {
            self.key()
        }
    }

    fn hash_key(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(4, 5) {
            self.pick(HASH_KEYS)
        } else {
            self.key()
        }
    }

    /// A list element: small integers and short strings (so LREM, LPOS and LINSERT find matches),
    /// integers at the listpack encoding boundaries, medium strings, and rarely elements big enough to
    /// get a quicklist node of their own.
    fn list_element(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..40) {
            0..=11 => self.rng.gen_range(-3..12i64).to_string().into_bytes(),
            12..=21 => self.pick(&[b"a", b"b", b"c", b"", b"a b", b"\x00\xff"]),
            22..=25 => self.pick(LIST_INTEGERS),
            26..=31 => vec![b'm'; self.rng.gen_range(20..300)],
            32..=35 => self.value(),
            36 | 37 => vec![b'L'; self.rng.gen_range(1000..4200)],
            38 => vec![b'H'; self.rng.gen_range(8190..8300)],
            _ => vec![b'X'; self.rng.gen_range(4090..4110)],
        }
    }

    /// A list index: near both ends, around node sizes, and out of range.
    fn list_index(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(1, 8) {
            return self.int();
        }
        self.rng.gen_range(-40..40i64).to_string().into_bytes()
    }

    /// A blocking timeout that never waits long: a list command must not block a random stream. Zero
    /// (and `-0.001`, which Valkey rounds to zero) would wait for ever, so they never appear.
    fn list_timeout(&mut self) -> Vec<u8> {
        self.pick(&[
            b"0.01", b"0.001", b"0.02", b"-1", b"abc", b"-0.5", b"1e400", b"inf",
        ])
    }

    fn list_side(&mut self) -> Vec<u8> {
        self.one_of(&["LEFT", "RIGHT", "left", "right", "UP"])
    }

    /// `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP and BLMPOP.
    fn list_multi_pop_args(&mut self, c: &mut Command) {
        let numkeys = self.rng.gen_range(1..=3usize);
        let declared = if self.rng.gen_ratio(1, 12) {
            self.pick(&[b"0", b"-1", b"abc", b"5", b"9223372036854775807"])
        } else {
            numkeys.to_string().into_bytes()
        };
        c.push(declared);
        for _ in 0..numkeys {
            c.push(self.list_key());
        }
        if self.rng.gen_ratio(19, 20) {
            c.push(self.list_side());
        }
        if self.rng.gen_bool(0.5) {
            c.push(b"COUNT".to_vec());
            c.push(self.pick_mostly(&[b"1", b"2", b"3", b"10", b"100"], &[b"0", b"-1", b"abc"]));
        }
        if self.rng.gen_ratio(1, 20) {
            c.push(self.one_of(&["COUNT", "FOO"]));
        }
    }

    /// A few pushes under a small `list-max-listpack-size` (so quicklists with many nodes appear after a
    /// handful of elements), then the default again.
    fn list_fill_block(&mut self) -> Vec<Command> {
        let word = |s: &str| s.as_bytes().to_vec();
        let fill = self.pick(&[b"0", b"1", b"2", b"3", b"5", b"-1"]);
        let mut block = vec![vec![
            word("CONFIG"),
            word("SET"),
            word("list-max-listpack-size"),
            fill,
        ]];
        for _ in 0..self.rng.gen_range(2..8) {
            block.push(self.lists());
        }
        block.push(vec![
            word("CONFIG"),
            word("SET"),
            word("list-max-listpack-size"),
            word("-2"),
        ]);
        block
    }

    fn lists(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let mut c: Command;
        match self.rng.gen_range(0..40) {
            0..=7 => {
                c = vec![
                    self.one_of(&["LPUSH", "RPUSH", "lpush", "RPUSH"]),
                    self.list_key(),
                ];
                let n = if self.rng.gen_ratio(1, 6) {
                    self.rng.gen_range(20..120)
                } else {
                    self.rng.gen_range(1..6)
                };
                for _ in 0..n {
                    c.push(self.list_element());
                }
            }
            8 => {
                c = vec![self.one_of(&["LPUSHX", "RPUSHX"]), self.list_key()];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.list_element());
                }
            }
            9..=11 => {
                c = vec![self.one_of(&["LPOP", "RPOP"]), self.list_key()];
                if self.rng.gen_bool(0.5) {
                    c.push(self.pick_mostly(
                        &[b"0", b"1", b"2", b"3", b"10", b"100"],
                        &[b"-1", b"abc", b"9223372036854775807"],
                    ));
                }
            }
            12..=14 => {
                c = vec![
                    word("LRANGE"),
                    self.list_key(),
                    self.list_index(),
                    self.list_index(),
                ]
            }
            15 => c = vec![word("LRANGE"), self.list_key(), word("0"), word("-1")],
            16 | 17 => c = vec![word("LINDEX"), self.list_key(), self.list_index()],
            18 | 19 => {
                c = vec![
                    word("LSET"),
                    self.list_key(),
                    self.list_index(),
                    self.list_element(),
                ]
            }
            20 | 21 => {
                let count = self.pick_mostly(
                    &[b"0", b"1", b"2", b"-1", b"-2", b"5"],
                    &[b"abc", b"-9223372036854775808", b"9223372036854775807"],
                );
                c = vec![word("LREM"), self.list_key(), count, self.list_element()];
            }
            22 => {
                c = vec![
                    word("LTRIM"),
                    self.list_key(),
                    self.list_index(),
                    self.list_index(),
                ]
            }
            23 | 24 => {
                let side = self.pick_mostly(&[b"BEFORE", b"AFTER", b"after"], &[b"MIDDLE"]);
                c = vec![
                    word("LINSERT"),
                    self.list_key(),
                    side,
                    self.list_element(),
                    self.list_element(),
                ];
            }
            25 | 26 => {
                c = vec![word("LPOS"), self.list_key(), self.list_element()];
                let mut options: Vec<Vec<Vec<u8>>> = Vec::new();
                if self.rng.gen_bool(0.4) {
                    let rank = self.pick_mostly(
                        &[b"1", b"2", b"-1", b"-2", b"3"],
                        &[b"0", b"abc", b"-9223372036854775808"],
                    );
                    options.push(vec![word("RANK"), rank]);
                }
                if self.rng.gen_bool(0.4) {
                    let count = self.pick_mostly(&[b"0", b"1", b"2", b"5"], &[b"-1", b"abc"]);
                    options.push(vec![word("COUNT"), count]);
                }
                if self.rng.gen_bool(0.3) {
                    let maxlen = self.pick_mostly(&[b"0", b"1", b"3", b"10"], &[b"-1", b"abc"]);
                    options.push(vec![word("MAXLEN"), maxlen]);
                }
                if self.rng.gen_ratio(1, 15) {
                    options.push(vec![self.one_of(&["RANK", "FOO", "COUNT"])]);
                }
                options.shuffle(&mut self.rng);
                c.extend(options.into_iter().flatten());
            }
            27 | 28 => {
                c = vec![
                    word("LMOVE"),
                    self.list_key(),
                    self.list_key(),
                    self.list_side(),
                    self.list_side(),
                ]
            }
            29 => c = vec![word("RPOPLPUSH"), self.list_key(), self.list_key()],
            30 | 31 => {
                c = vec![word("LMPOP")];
                self.list_multi_pop_args(&mut c);
            }
            32 => c = vec![word("LLEN"), self.list_key()],
            33 => {
                c = vec![self.one_of(&["BLPOP", "BRPOP"])];
                for _ in 0..self.rng.gen_range(1..=3) {
                    c.push(self.list_key());
                }
                c.push(self.list_timeout());
            }
            34 => {
                c = vec![
                    word("BLMOVE"),
                    self.list_key(),
                    self.list_key(),
                    self.list_side(),
                    self.list_side(),
                    self.list_timeout(),
                ]
            }
            35 => {
                c = vec![
                    word("BRPOPLPUSH"),
                    self.list_key(),
                    self.list_key(),
                    self.list_timeout(),
                ]
            }
            36 => {
                c = vec![word("BLMPOP"), self.list_timeout()];
                self.list_multi_pop_args(&mut c);
            }
            37 => c = vec![word("OBJECT"), word("ENCODING"), self.list_key()],
            38 => c = vec![self.one_of(&["TYPE", "EXISTS", "DEL"]), self.list_key()],
            _ => {
                // Pushes of many small elements, so lists cross the 8 KB listpack limit.
                c = vec![word("RPUSH"), self.list_key()];
                let n = self.rng.gen_range(100..400);
                let base = self.rng.gen_range(0..50);
                c.extend((base..base + n).map(|i| format!("e{i}").into_bytes()));
            }
        }
        c
    }

    fn hash_field(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(1, 10) {
            self.value()
        } else {
            self.pick(HASH_FIELDS)
        }
    }

    /// `FIELDS numfields field ...` (with `per_field` - 1 values after each field), sometimes with a
    /// wrong count.
    fn fields_block(&mut self, per_field: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(1..=4);
        let count = match self.rng.gen_range(0..20) {
            0 => b"0".to_vec(),
            1 => (n + 1).to_string().into_bytes(),
            2 => b"-1".to_vec(),
            3 => b"abc".to_vec(),
            _ => n.to_string().into_bytes(),
        };
        let word = if self.rng.gen_ratio(1, 30) {
            "FOO"
        } else {
            "FIELDS"
        };
        let mut block = vec![word.as_bytes().to_vec(), count];
        for _ in 0..n {
            block.push(self.hash_field());
            if per_field == 2 {
                block.push(self.value());
            }
        }
        block
    }

    /// HEXPIRE, HPEXPIRE, HEXPIREAT or HPEXPIREAT with conditions.
    fn hash_expire_command(&mut self) -> Command {
        let mut c = self.timed_expire(
            ["HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT"],
            Self::hash_key,
        );
        c.extend(self.fields_block(1));
        c
    }

    fn hashes(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..40) {
            0..=4 => {
                let mut c = vec![
                    self.one_of(&["HSET", "HSET", "HSET", "HMSET"]),
                    self.hash_key(),
                ];
                if self.rng.gen_ratio(1, 40) {
                    // More pairs than a listpack holds.
                    let base = self.rng.gen_range(0..1000u32);
                    for i in 0..130 {
                        c.push(format!("g{}", base + i).into_bytes());
                        c.push(self.value());
                    }
                } else {
                    for _ in 0..self.rng.gen_range(1..=3) {
                        c.push(self.hash_field());
                        c.push(self.value());
                    }
                }
                c
            }
            5 => vec![
                word("HSETNX"),
                self.hash_key(),
                self.hash_field(),
                self.value(),
            ],
            6 | 7 => vec![word("HGET"), self.hash_key(), self.hash_field()],
            8 => {
                let mut c = vec![word("HMGET"), self.hash_key()];
                for _ in 0..self.rng.gen_range(1..=4) {
                    c.push(self.hash_field());
                }
                c
            }
            9 | 10 => {
                let mut c = vec![word("HDEL"), self.hash_key()];
                for _ in 0..self.rng.gen_range(1..=3) {
                    c.push(self.hash_field());
                }
                c
            }
            11 => vec![word("HLEN"), self.hash_key()],
            12 => vec![word("HSTRLEN"), self.hash_key(), self.hash_field()],
            13 => vec![word("HEXISTS"), self.hash_key(), self.hash_field()],
            14 => vec![self.one_of(&["HKEYS", "HVALS", "HGETALL"]), self.hash_key()],
            15 | 16 => vec![
                word("HINCRBY"),
                self.hash_key(),
                self.hash_field(),
                self.int(),
            ],
            17 | 18 => vec![
                word("HINCRBYFLOAT"),
                self.hash_key(),
                self.hash_field(),
                self.float(),
            ],
            19 | 20 => {
                let mut c = vec![word("HRANDFIELD"), self.hash_key()];
                if self.rng.gen_ratio(4, 5) {
                    if self.rng.gen_bool(0.5) {
                        c.push(self.pick(HRANDFIELD_COUNTS));
                        c.push(self.one_of(&["WITHVALUES", "withvalues", "WITHVALUES", "FOO"]));
                    } else {
                        c.push(self.pick(HRANDFIELD_COUNTS));
                    }
                }
                c
            }
            21 => {
                let cursor = self.pick_mostly(&[b"0"], &[b"abc", b"-1", b"18446744073709551616"]);
                // COUNT 1000 finishes the scan in one call on both servers.
                let mut c = vec![word("HSCAN"), self.hash_key(), cursor, word("COUNT")];
                c.push(self.pick_mostly(&[b"1000"], &[b"0", b"-1", b"abc"]));
                if self.rng.gen_bool(0.4) {
                    c.push(word("MATCH"));
                    c.push(self.pick(&[b"f*", b"*", b"?", b"[0-9]*", b"nomatch"]));
                }
                if self.rng.gen_bool(0.3) {
                    c.push(self.one_of(&["NOVALUES", "novalues", "NOSCORES", "FOO"]));
                }
                c
            }
            22..=25 => self.hash_expire_command(),
            26 | 27 => {
                let mut c = vec![
                    self.one_of(&["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"]),
                    self.hash_key(),
                ];
                c.extend(self.fields_block(1));
                c
            }
            28 => {
                let mut c = vec![word("HPERSIST"), self.hash_key()];
                c.extend(self.fields_block(1));
                c
            }
            29..=31 => {
                let mut c = vec![word("HSETEX"), self.hash_key()];
                let mut options: Vec<Vec<Vec<u8>>> = Vec::new();
                if self.rng.gen_ratio(1, 4) {
                    options.push(vec![self.one_of(&["NX", "XX", "nx"])]);
                }
                if self.rng.gen_ratio(1, 4) {
                    options.push(vec![self.one_of(&["FNX", "FXX", "fxx"])]);
                }
                if self.rng.gen_bool(0.6) {
                    options.push(self.expire_option(true));
                }
                if self.rng.gen_ratio(1, 20) {
                    options.push(vec![
                        self.one_of(&["NX", "FXX", "KEEPTTL", "EX", "PERSIST", "GET"])
                    ]);
                }
                options.shuffle(&mut self.rng);
                c.extend(options.into_iter().flatten());
                c.extend(self.fields_block(2));
                c
            }
            32 | 33 => {
                let mut c = vec![word("HGETEX"), self.hash_key()];
                if self.rng.gen_bool(0.7) {
                    c.extend(self.expire_option(false));
                }
                if self.rng.gen_ratio(1, 20) {
                    c.push(self.one_of(&["PERSIST", "KEEPTTL", "EX", "NX"]));
                }
                c.extend(self.fields_block(1));
                c
            }
            34 => {
                let mut c = vec![word("HGETDEL"), self.hash_key()];
                c.extend(self.fields_block(1));
                c
            }
            35 | 36 => vec![word("OBJECT"), word("ENCODING"), self.hash_key()],
            37 => vec![self.one_of(&["TYPE", "EXISTS", "DEL"]), self.hash_key()],
            38 => vec![word("COPY"), self.hash_key(), self.hash_key()],
            _ => vec![word("HLEN"), self.hash_key()],
        }
    }

    fn zset_key(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..20) {
            0 => self.key(),
            1 => b"zbig".to_vec(),
            _ => self.pick(ZSET_KEYS),
        }
    }

    fn lex_key(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..12) {
            0 => self.key(),
            1 => b"nozset".to_vec(),
            _ => self.pick(LEX_KEYS),
        }
    }

    fn zset_keys(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(min..=max);
        (0..n)
            .map(|_| {
                // Now and then a plain set, which ZUNION and friends read as scores of 1.
                if self.rng.gen_ratio(1, 10) {
                    self.pick(SET_KEYS)
                } else {
                    self.zset_key()
                }
            })
            .collect()
    }

    fn score(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..10) {
            0..=4 => self.rng.gen_range(-5..20i64).to_string().into_bytes(),
            _ => self.pick_mostly(SCORES, BAD_SCORES),
        }
    }

    fn zmember(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..30) {
            0 => vec![b'm'; 70],
            1 => self.value(),
            _ => self.pick(ZMEMBERS),
        }
    }

    fn score_bound(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..10) {
            0..=3 => {
                let n = self.rng.gen_range(-5..20i64);
                if self.rng.gen_bool(0.3) {
                    format!("({n}").into_bytes()
                } else {
                    n.to_string().into_bytes()
                }
            }
            _ => self.pick(SCORE_BOUNDS),
        }
    }

    fn lex_bound(&mut self) -> Vec<u8> {
        self.pick(LEX_BOUNDS)
    }

    fn rank(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(1, 8) {
            return self.pick(INTS);
        }
        self.rng.gen_range(-8..10i64).to_string().into_bytes()
    }

    fn limit(&mut self) -> Vec<Vec<u8>> {
        let offset = if self.rng.gen_ratio(1, 10) {
            self.pick(INTS)
        } else {
            self.rng.gen_range(-3..6i64).to_string().into_bytes()
        };
        let count = if self.rng.gen_ratio(1, 10) {
            self.pick(INTS)
        } else {
            self.rng.gen_range(-2..6i64).to_string().into_bytes()
        };
        vec![b"LIMIT".to_vec(), offset, count]
    }

    /// Pairs for ZADD: scores and members, now and then a burst that converts the set.
    fn zadd_pairs(&mut self, lex: bool) -> Vec<Vec<u8>> {
        let mut pairs = Vec::new();
        if self.rng.gen_ratio(1, 25) {
            let base = self.rng.gen_range(0..1000u32);
            for i in 0..self.rng.gen_range(120..200u32) {
                let score = if lex {
                    "0".to_string()
                } else {
                    format!("{}", (base + i * 7) % 251)
                };
                pairs.push(score.into_bytes());
                pairs.push(format!("w{}", base + i).into_bytes());
            }
            return pairs;
        }
        for _ in 0..self.rng.gen_range(1..=5) {
            pairs.push(if lex { b"0".to_vec() } else { self.score() });
            pairs.push(self.zmember());
        }
        pairs
    }

    fn sorted_sets(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..60) {
            0..=8 => {
                let lex = self.rng.gen_ratio(1, 4);
                let key = if lex { self.lex_key() } else { self.zset_key() };
                let mut c = vec![word("ZADD"), key];
                let mut options: Vec<Vec<u8>> = Vec::new();
                for _ in 0..self.rng.gen_range(0..3) {
                    let choices: &[&str] = if lex {
                        &["NX", "XX", "CH", "nx"]
                    } else {
                        &["NX", "XX", "CH", "GT", "LT", "INCR", "gt"]
                    };
                    options.push(self.one_of(choices));
                }
                c.extend(options);
                if self.rng.gen_ratio(1, 30) {
                    c.push(self.score());
                } else {
                    c.extend(self.zadd_pairs(lex));
                }
                c
            }
            9 | 10 => vec![
                word("ZINCRBY"),
                self.zset_key(),
                self.score(),
                self.zmember(),
            ],
            11 | 12 => {
                let lex = self.rng.gen_ratio(1, 4);
                let mut c = vec![
                    word("ZREM"),
                    if lex { self.lex_key() } else { self.zset_key() },
                ];
                for _ in 0..self.rng.gen_range(1..=3) {
                    c.push(self.zmember());
                }
                c
            }
            13 => vec![word("ZCARD"), self.zset_key()],
            14 => vec![word("ZSCORE"), self.zset_key(), self.zmember()],
            15 => {
                let mut c = vec![word("ZMSCORE"), self.zset_key()];
                for _ in 0..self.rng.gen_range(1..=3) {
                    c.push(self.zmember());
                }
                c
            }
            16 | 17 => {
                let mut c = vec![
                    self.one_of(&["ZRANK", "ZREVRANK"]),
                    self.zset_key(),
                    self.zmember(),
                ];
                if self.rng.gen_bool(0.4) {
                    c.push(self.one_of(&["WITHSCORE", "withscore", "WITHSCORES"]));
                }
                c
            }
            18 => vec![
                word("ZCOUNT"),
                self.zset_key(),
                self.score_bound(),
                self.score_bound(),
            ],
            19 => vec![
                word("ZLEXCOUNT"),
                self.lex_key(),
                self.lex_bound(),
                self.lex_bound(),
            ],
            20..=25 => self.zrange(false),
            26 | 27 => self.zrange(true),
            28..=30 => {
                let (name, by) = match self.rng.gen_range(0..6) {
                    0 => ("ZRANGEBYSCORE", 0),
                    1 => ("ZREVRANGEBYSCORE", 0),
                    2 => ("ZRANGEBYLEX", 1),
                    3 => ("ZREVRANGEBYLEX", 1),
                    _ => ("ZREVRANGE", 2),
                };
                let mut c = vec![word(name)];
                match by {
                    0 => c.extend([self.zset_key(), self.score_bound(), self.score_bound()]),
                    1 => c.extend([self.lex_key(), self.lex_bound(), self.lex_bound()]),
                    _ => c.extend([self.zset_key(), self.rank(), self.rank()]),
                }
                if by != 1 && self.rng.gen_bool(0.4) {
                    c.push(word("WITHSCORES"));
                }
                if by != 2 && self.rng.gen_bool(0.4) {
                    c.extend(self.limit());
                }
                if self.rng.gen_ratio(1, 15) {
                    c.push(self.one_of(&["REV", "BYSCORE", "FOO"]));
                }
                c
            }
            31 => vec![
                word("ZREMRANGEBYRANK"),
                self.zset_key(),
                self.rank(),
                self.rank(),
            ],
            32 => vec![
                word("ZREMRANGEBYSCORE"),
                self.zset_key(),
                self.score_bound(),
                self.score_bound(),
            ],
            33 => vec![
                word("ZREMRANGEBYLEX"),
                self.lex_key(),
                self.lex_bound(),
                self.lex_bound(),
            ],
            34..=39 => self.zset_operation(),
            40 | 41 => {
                let mut c = vec![word("ZRANDMEMBER"), self.zset_key()];
                if self.rng.gen_bool(0.7) {
                    // Large negative counts ask for that many repeated picks: keep them small.
                    let count = if self.rng.gen_ratio(1, 6) {
                        self.pick(&[
                            b"9223372036854775807",
                            b"-9223372036854775808",
                            b"4611686018427387904",
                            b"abc",
                            b"",
                        ])
                    } else {
                        self.rng.gen_range(-12..12i64).to_string().into_bytes()
                    };
                    c.push(count);
                    if self.rng.gen_bool(0.5) {
                        c.push(self.one_of(&["WITHSCORES", "withscores", "FOO"]));
                    }
                }
                c
            }
            42..=44 => {
                let mut c = vec![self.one_of(&["ZPOPMIN", "ZPOPMAX"]), self.zset_key()];
                if self.rng.gen_bool(0.5) {
                    c.push(self.pick_mostly(&[b"0", b"1", b"2", b"5", b"100"], &[b"-1", b"abc"]));
                }
                c
            }
            45 | 46 => {
                let mut c = vec![word("ZMPOP")];
                let keys = self.zset_keys(1, 3);
                c.push(self.numkeys(keys.len()));
                c.extend(keys);
                c.push(self.pick_mostly(&[b"MIN", b"MAX", b"min"], &[b"FOO"]));
                if self.rng.gen_bool(0.5) {
                    c.push(word("COUNT"));
                    c.push(self.pick_mostly(&[b"1", b"2", b"10"], &[b"0", b"-1", b"abc"]));
                }
                c
            }
            47 => {
                let timeout = self.pick_mostly(&[b"0.01", b"0.02"], &[b"abc", b"-1", b"0x1"]);
                let mut c = vec![self.one_of(&["BZPOPMIN", "BZPOPMAX"])];
                c.extend(self.zset_keys(1, 2));
                c.push(timeout);
                c
            }
            48 => {
                let timeout = self.pick_mostly(&[b"0.01", b"0.02"], &[b"abc", b"-1"]);
                let keys = self.zset_keys(1, 2);
                let mut c = vec![word("BZMPOP"), timeout, self.numkeys(keys.len())];
                c.extend(keys);
                c.push(self.one_of(&["MIN", "MAX", "FOO"]));
                if self.rng.gen_bool(0.4) {
                    c.extend([word("COUNT"), self.pick(&[b"1", b"3", b"0"])]);
                }
                c
            }
            49 | 50 => {
                let key = if self.rng.gen_bool(0.3) {
                    self.lex_key()
                } else {
                    self.zset_key()
                };
                let mut c = vec![
                    word("ZSCAN"),
                    key,
                    self.pick_mostly(&[b"0"], &[b"abc", b"-1"]),
                ];
                c.extend([word("COUNT"), word("1000")]);
                if self.rng.gen_bool(0.3) {
                    c.extend([
                        word("MATCH"),
                        self.pick(&[b"*", b"a*", b"?", b"w1*", b"[a-c]"]),
                    ]);
                }
                if self.rng.gen_bool(0.3) {
                    c.push(self.one_of(&["NOSCORES", "NOVALUES", "FOO"]));
                }
                c
            }
            51 | 52 => vec![word("OBJECT"), word("ENCODING"), self.zset_key()],
            53 => vec![word("TYPE"), self.zset_key()],
            54 => vec![word("DEL"), self.zset_key()],
            55 => vec![
                self.one_of(&["COPY", "RENAME"]),
                self.zset_key(),
                self.zset_key(),
            ],
            _ => vec![
                word("ZRANGE"),
                self.zset_key(),
                word("0"),
                word("-1"),
                word("WITHSCORES"),
            ],
        }
    }

    /// A `numkeys` argument, mostly right.
    fn numkeys(&mut self, keys: usize) -> Vec<u8> {
        match self.rng.gen_range(0..12) {
            0 => self.pick(&[b"0", b"-1", b"abc", b"100"]),
            1 => (keys + 1).to_string().into_bytes(),
            _ => keys.to_string().into_bytes(),
        }
    }

    /// ZRANGE or ZRANGESTORE with the unified options.
    fn zrange(&mut self, store: bool) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let mut c = if store {
            vec![word("ZRANGESTORE"), self.zset_key()]
        } else {
            vec![word("ZRANGE")]
        };
        let by = self.rng.gen_range(0..3);
        match by {
            0 => c.extend([self.zset_key(), self.rank(), self.rank()]),
            1 => c.extend([self.zset_key(), self.score_bound(), self.score_bound()]),
            _ => c.extend([self.lex_key(), self.lex_bound(), self.lex_bound()]),
        }
        let mut options: Vec<Vec<Vec<u8>>> = Vec::new();
        if by == 1 {
            options.push(vec![word("BYSCORE")]);
        }
        if by == 2 {
            options.push(vec![self.one_of(&["BYLEX", "bylex"])]);
        }
        if self.rng.gen_bool(0.3) {
            options.push(vec![word("REV")]);
        }
        if !store && by != 2 && self.rng.gen_bool(0.4) {
            options.push(vec![word("WITHSCORES")]);
        }
        if by != 0 && self.rng.gen_bool(0.4) {
            options.push(self.limit());
        }
        if self.rng.gen_ratio(1, 12) {
            options.push(vec![self.one_of(&[
                "WITHSCORES",
                "LIMIT",
                "BYSCORE",
                "REV",
                "FOO",
            ])]);
        }
        options.shuffle(&mut self.rng);
        c.extend(options.into_iter().flatten());
        c
    }

    /// ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD.
    fn zset_operation(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let name = self.one_of(&[
            "ZUNION",
            "ZINTER",
            "ZDIFF",
            "ZUNIONSTORE",
            "ZINTERSTORE",
            "ZDIFFSTORE",
            "ZINTERCARD",
        ]);
        let store = name.ends_with(b"STORE");
        let diff = name.starts_with(b"ZDIFF");
        let card = name == b"ZINTERCARD";
        let mut c = vec![name];
        if store {
            c.push(self.zset_key());
        }
        let keys = self.zset_keys(1, 3);
        c.push(self.numkeys(keys.len()));
        let count = keys.len();
        c.extend(keys);
        if !diff && !card && self.rng.gen_bool(0.35) {
            c.push(word("WEIGHTS"));
            for _ in 0..count {
                c.push(self.pick_mostly(&[b"1", b"2", b"0", b"-1", b"0.5", b"inf"], &[b"abc"]));
            }
        }
        if !diff && !card && self.rng.gen_bool(0.35) {
            c.push(word("AGGREGATE"));
            c.push(self.pick_mostly(&[b"SUM", b"MIN", b"MAX", b"max"], &[b"AVG"]));
        }
        if card && self.rng.gen_bool(0.5) {
            c.push(word("LIMIT"));
            c.push(self.pick_mostly(&[b"0", b"1", b"2", b"5"], &[b"-1", b"abc"]));
        }
        if !store && !card && self.rng.gen_bool(0.5) {
            c.push(word("WITHSCORES"));
        }
        c
    }

    fn geo_key(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..12) {
            0 => self.key(),
            1 => self.zset_key(),
            _ => self.pick(GEO_KEYS),
        }
    }

    /// A longitude/latitude pair, near Sicily most of the time, sometimes anywhere or invalid.
    fn lon_lat(&mut self) -> [Vec<u8>; 2] {
        match self.rng.gen_range(0..10) {
            0 => [self.pick(BAD_COORDS), self.pick(BAD_COORDS)],
            1 | 2 => [
                format!("{:.6}", self.rng.gen_range(-180.0..180.0)).into_bytes(),
                format!("{:.6}", self.rng.gen_range(-85.0..85.0)).into_bytes(),
            ],
            _ => [
                format!("{:.5}", 13.0 + self.rng.gen_range(-2.0..2.0)).into_bytes(),
                format!("{:.5}", 38.0 + self.rng.gen_range(-2.0..2.0)).into_bytes(),
            ],
        }
    }

    fn geo_member(&mut self) -> Vec<u8> {
        if self.rng.gen_ratio(1, 10) {
            return self.zmember();
        }
        format!("p{}", self.rng.gen_range(0..30)).into_bytes()
    }

    fn geo_unit(&mut self) -> Vec<u8> {
        self.pick_mostly(&[b"m", b"km", b"mi", b"ft", b"KM"], &[b"parsec", b""])
    }

    fn geo_distance(&mut self) -> Vec<u8> {
        self.pick_mostly(
            &[
                b"0", b"1", b"50", b"100", b"200", b"1000", b"5000", b"20000",
            ],
            &[b"-1", b"abc", b"1e400"],
        )
    }

    /// The optional arguments shared by GEOSEARCH and GEORADIUS.
    fn geo_options(&mut self, with: bool) -> Vec<Vec<u8>> {
        let word = |s: &str| s.as_bytes().to_vec();
        let mut options: Vec<Vec<Vec<u8>>> = Vec::new();
        if with {
            for flag in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
                if self.rng.gen_bool(0.35) {
                    options.push(vec![word(flag)]);
                }
            }
        }
        if self.rng.gen_bool(0.4) {
            options.push(vec![self.one_of(&["ASC", "DESC"])]);
        }
        if self.rng.gen_bool(0.4) {
            let mut count = vec![
                word("COUNT"),
                self.pick_mostly(&[b"1", b"2", b"3", b"10"], &[b"0", b"abc"]),
            ];
            if self.rng.gen_bool(0.3) {
                count.push(word("ANY"));
            }
            options.push(count);
        }
        if self.rng.gen_ratio(1, 20) {
            options.push(vec![self.one_of(&["ANY", "FOO", "STORE"])]);
        }
        options.shuffle(&mut self.rng);
        options.into_iter().flatten().collect()
    }

    fn geo(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        match self.rng.gen_range(0..20) {
            0..=4 => {
                let mut c = vec![word("GEOADD"), self.geo_key()];
                if self.rng.gen_ratio(1, 4) {
                    c.push(self.one_of(&["NX", "XX", "CH"]));
                }
                for _ in 0..self.rng.gen_range(1..=4) {
                    c.extend(self.lon_lat());
                    c.push(self.geo_member());
                }
                if self.rng.gen_ratio(1, 20) {
                    c.pop();
                }
                c
            }
            5 | 6 => {
                let mut c = vec![self.one_of(&["GEOPOS", "GEOHASH"]), self.geo_key()];
                for _ in 0..self.rng.gen_range(1..=3) {
                    c.push(self.geo_member());
                }
                c
            }
            7 => {
                let mut c = vec![
                    word("GEODIST"),
                    self.geo_key(),
                    self.geo_member(),
                    self.geo_member(),
                ];
                if self.rng.gen_bool(0.5) {
                    c.push(self.geo_unit());
                }
                c
            }
            8..=12 => {
                let store = self.rng.gen_ratio(1, 4);
                let mut c = if store {
                    vec![word("GEOSEARCHSTORE"), self.geo_key(), self.geo_key()]
                } else {
                    vec![word("GEOSEARCH"), self.geo_key()]
                };
                let mut parts: Vec<Vec<Vec<u8>>> = Vec::new();
                let polygon = self.rng.gen_ratio(1, 6);
                if polygon {
                    let vertices = self.rng.gen_range(3..=5);
                    let mut part = vec![word("BYPOLYGON"), vertices.to_string().into_bytes()];
                    for _ in 0..vertices {
                        part.extend(self.lon_lat());
                    }
                    parts.push(part);
                } else {
                    if self.rng.gen_bool(0.5) {
                        parts.push(vec![word("FROMMEMBER"), self.geo_member()]);
                    } else {
                        let [lon, lat] = self.lon_lat();
                        parts.push(vec![word("FROMLONLAT"), lon, lat]);
                    }
                    if self.rng.gen_bool(0.5) {
                        parts.push(vec![word("BYRADIUS"), self.geo_distance(), self.geo_unit()]);
                    } else {
                        parts.push(vec![
                            word("BYBOX"),
                            self.geo_distance(),
                            self.geo_distance(),
                            self.geo_unit(),
                        ]);
                    }
                }
                if self.rng.gen_ratio(1, 15) {
                    parts.pop();
                }
                parts.push(self.geo_options(!store));
                if store && self.rng.gen_bool(0.3) {
                    parts.push(vec![word("STOREDIST")]);
                }
                parts.shuffle(&mut self.rng);
                c.extend(parts.into_iter().flatten());
                c
            }
            13..=15 => {
                let name = self.one_of(&["GEORADIUS", "GEORADIUS_RO"]);
                let ro = name.ends_with(b"_RO");
                let [lon, lat] = self.lon_lat();
                let mut c = vec![
                    name,
                    self.geo_key(),
                    lon,
                    lat,
                    self.geo_distance(),
                    self.geo_unit(),
                ];
                let store = !ro && self.rng.gen_ratio(1, 4);
                c.extend(self.geo_options(!store));
                if store {
                    c.push(self.one_of(&["STORE", "STOREDIST"]));
                    c.push(self.geo_key());
                }
                c
            }
            16 | 17 => {
                let name = self.one_of(&["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]);
                let ro = name.ends_with(b"_RO");
                let mut c = vec![
                    name,
                    self.geo_key(),
                    self.geo_member(),
                    self.geo_distance(),
                    self.geo_unit(),
                ];
                let store = !ro && self.rng.gen_ratio(1, 4);
                c.extend(self.geo_options(!store));
                if store {
                    c.push(self.one_of(&["STORE", "STOREDIST"]));
                    c.push(self.geo_key());
                }
                c
            }
            18 => vec![
                word("ZRANGE"),
                self.geo_key(),
                word("0"),
                word("-1"),
                word("WITHSCORES"),
            ],
            _ => vec![word("OBJECT"), word("ENCODING"), self.geo_key()],
        }
    }

    /// An element for the sort family's collection `key`: numbers in those ending in `0`, anything
    /// in the others, where lists may hold a NUL byte (ALPHA compares up to it, and ties keep a
    /// list's order).
    fn sort_element(&mut self, key: &[u8]) -> Vec<u8> {
        if key.ends_with(b"0") {
            if self.rng.gen_bool(0.7) {
                return self.rng.gen_range(-3..25).to_string().into_bytes();
            }
            return self.pick(SORT_WEIGHTS);
        }
        if key.starts_with(b"sl") && self.rng.gen_ratio(1, 15) {
            return b"e\x00z".to_vec();
        }
        if self.rng.gen_ratio(1, 3) {
            return self.rng.gen_range(-3..25).to_string().into_bytes();
        }
        self.pick(SORT_ELEMENTS)
    }

    /// An element some weight key is named after.
    fn sort_weight_element(&mut self) -> Vec<u8> {
        let key = self.pick(&[b"sl0", b"sl1"]);
        self.sort_element(&key)
    }

    /// A weight: numeric under `w_*` and field `f`, any text under `a_*` and field `g`.
    fn sort_weight(&mut self, numeric: bool) -> Vec<u8> {
        if numeric {
            if self.rng.gen_bool(0.5) {
                return self.rng.gen_range(-5..10).to_string().into_bytes();
            }
            return self.pick(SORT_WEIGHTS);
        }
        if self.rng.gen_bool(0.5) {
            return self.pick(&[b"x", b"y", b"z", b"y"]);
        }
        self.pick(SORT_ELEMENTS)
    }

    /// The sort family: SORT/SORT_RO over half the time, otherwise commands that fill and change the
    /// collections and the keys BY and GET read.
    fn sort_family(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let prefixed = |prefix: &str, element: Vec<u8>| {
            let mut key = prefix.as_bytes().to_vec();
            key.extend(element);
            key
        };
        match self.rng.gen_range(0..40) {
            0..=19 => self.sort_command(),
            20..=24 => {
                let key = self.pick(SORT_LIST_KEYS);
                let mut c = vec![self.one_of(&["RPUSH", "LPUSH"]), key.clone()];
                let n = if self.rng.gen_ratio(1, 8) {
                    self.rng.gen_range(20..80)
                } else {
                    self.rng.gen_range(1..8)
                };
                for _ in 0..n {
                    c.push(self.sort_element(&key));
                }
                c
            }
            25..=27 => {
                let key = self.pick(SORT_SET_KEYS);
                let mut c = vec![word("SADD"), key.clone()];
                for _ in 0..self.rng.gen_range(1..6) {
                    c.push(self.sort_element(&key));
                }
                if self.rng.gen_ratio(1, 10) {
                    c.push(LONG_MEMBER.to_vec());
                }
                c
            }
            28..=30 => {
                let key = self.pick(SORT_ZSET_KEYS);
                let mut c = vec![word("ZADD"), key.clone()];
                for _ in 0..self.rng.gen_range(1..5) {
                    c.push(self.pick(&[b"1", b"1", b"2", b"-1", b"0", b"inf", b"2.5"]));
                    c.push(self.sort_element(&key));
                }
                c
            }
            31 => {
                let key = self.pick(SORT_SET_KEYS);
                let member = self.sort_element(&key);
                vec![word("SREM"), key, member, LONG_MEMBER.to_vec()]
            }
            32 => {
                let key = self.pick(SORT_ZSET_KEYS);
                let member = self.sort_element(&key);
                vec![word("ZREM"), key, member]
            }
            33..=34 => {
                let mut c = vec![word("MSET")];
                for _ in 0..self.rng.gen_range(1..6) {
                    let element = self.sort_weight_element();
                    c.push(prefixed("w_", element));
                    c.push(self.sort_weight(true));
                }
                // Weights that do not convert, for an element only the text collections hold.
                if self.rng.gen_ratio(1, 10) {
                    c.push(b"w_x y".to_vec());
                    c.push(self.pick(BAD_SORT_WEIGHTS));
                }
                c
            }
            35 => {
                let element = self.sort_weight_element();
                vec![
                    word("SET"),
                    prefixed("a_", element),
                    self.sort_weight(false),
                ]
            }
            36 => {
                let element = self.sort_weight_element();
                vec![
                    word("HSET"),
                    prefixed("h_", element),
                    word("f"),
                    self.sort_weight(true),
                    word("g"),
                    self.sort_weight(false),
                ]
            }
            37 => {
                let key = match self.rng.gen_range(0..8) {
                    0 => self.pick(SORT_LIST_KEYS),
                    1 => self.pick(SORT_SET_KEYS),
                    2 => self.pick(SORT_ZSET_KEYS),
                    _ => {
                        let element = self.sort_weight_element();
                        prefixed(if self.rng.gen_bool(0.5) { "w_" } else { "h_" }, element)
                    }
                };
                vec![word("DEL"), key]
            }
            38 if self.rng.gen_bool(0.5) => vec![
                self.one_of(&["LPOP", "RPOP"]),
                self.pick(SORT_LIST_KEYS),
                self.pick(&[b"1", b"3", b"10"]),
            ],
            38 => vec![
                word("LRANGE"),
                self.pick(SORT_DESTINATIONS),
                word("0"),
                word("-1"),
            ],
            _ => {
                let key = match self.rng.gen_range(0..3) {
                    0 => self.pick(SORT_DESTINATIONS),
                    1 => self.pick(SORT_SET_KEYS),
                    _ => self.pick(SORT_ZSET_KEYS),
                };
                vec![word("OBJECT"), word("ENCODING"), key]
            }
        }
    }

    /// A SORT or SORT_RO with options in any order. Valkey's result order is only compared where it
    /// is deterministic: on sets and sorted sets (whose hashtables Valkey walks in its own order) no
    /// ALPHA sort by weights (equal weights keep the walk's order) and no BY nosort on a set unless
    /// the result is stored (then Valkey sorts it); on keys other families fill (whose members may
    /// tie up to a NUL byte) ALPHA only with STORE, which compares whole members.
    fn sort_command(&mut self) -> Command {
        let word = |s: &str| s.as_bytes().to_vec();
        let readonly = self.rng.gen_ratio(1, 4);
        // 0: a list, 1: this family's sets and sorted sets, 2: keys of other families.
        let (key, kind) = match self.rng.gen_range(0..20) {
            0..=9 => (self.pick(SORT_LIST_KEYS), 0),
            10..=13 => (self.pick(SORT_SET_KEYS), 1),
            14..=16 => (self.pick(SORT_ZSET_KEYS), 1),
            17 => (self.pick(LIST_KEYS), 0),
            _ => (
                self.pick(&[b"s0", b"s1", b"z0", b"z1", b"k0", b"nokey", b"w_1", b"h_1"]),
                2,
            ),
        };
        let own_zset = key.starts_with(b"sz");
        let mut by = self.rng.gen_bool(0.55).then(|| self.pick(SORT_BY_PATTERNS));
        // Numbers fill the keys ending in 0; the others mostly sort ALPHA.
        let mut alpha = if key.ends_with(b"0") {
            self.rng.gen_ratio(1, 5)
        } else {
            self.rng.gen_ratio(7, 10)
        };
        let store = if readonly {
            self.rng.gen_ratio(1, 20)
        } else {
            self.rng.gen_ratio(1, 4)
        };
        let by_nosort = by.as_deref().is_some_and(|p| !p.contains(&b'*'));
        if kind != 0 && by_nosort && !store && !own_zset {
            by = Some(b"w_*".to_vec());
        }
        let weighted = by.as_deref().is_some_and(|p| p.contains(&b'*'));
        if kind != 0 && alpha && (weighted || (kind == 2 && !store)) {
            alpha = false;
        }
        // Text weights mostly sort ALPHA (a list) or give way to numbers (a set).
        let text_weights = matches!(by.as_deref(), Some(b"a_*" | b"h_*->g"));
        if text_weights && !alpha && !self.rng.gen_ratio(1, 8) {
            if kind == 0 {
                alpha = true;
            } else {
                by = Some(b"w_*".to_vec());
            }
        }
        let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
        if let Some(pattern) = by {
            groups.push(vec![word("BY"), pattern]);
        }
        if alpha {
            groups.push(vec![self.one_of(&["ALPHA", "alpha"])]);
        }
        match self.rng.gen_range(0..10) {
            0..=2 => groups.push(vec![self.one_of(&["DESC", "desc"])]),
            3 => groups.push(vec![word("ASC")]),
            _ => {}
        }
        if self.rng.gen_ratio(2, 5) {
            let offset = self.pick_mostly(
                &[b"0", b"0", b"1", b"2", b"3", b"-1"],
                &[b"abc", b"1.5", b"", b"100", b"9223372036854775807"],
            );
            let count = self.pick(SORT_COUNTS);
            groups.push(vec![word("LIMIT"), offset, count]);
        }
        if self.rng.gen_ratio(1, 3) {
            for _ in 0..self.rng.gen_range(1..4) {
                groups.push(vec![word("GET"), self.pick(SORT_GET_PATTERNS)]);
            }
        }
        if store {
            groups.push(vec![word("STORE"), self.pick(SORT_DESTINATIONS)]);
        }
        groups.shuffle(&mut self.rng);
        let mut c = vec![
            if readonly {
                word("SORT_RO")
            } else {
                word("SORT")
            },
            key,
        ];
        c.extend(groups.into_iter().flatten());
        c
    }

    fn inner_family(&mut self) -> Family {
        let inner: Vec<Family> = self
            .weights
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| *f != Family::Transactions)
            .collect();
        inner
            .choose(&mut self.rng)
            .copied()
            .unwrap_or(Family::Strings)
    }

    fn transaction_block(&mut self) -> Vec<Command> {
        let word = |s: &str| s.as_bytes().to_vec();
        if self.rng.gen_ratio(1, 8) {
            return vec![match self.rng.gen_range(0..4) {
                0 => vec![word("EXEC")],
                1 => vec![word("DISCARD")],
                2 => vec![word("UNWATCH")],
                _ => vec![word("WATCH"), self.key()],
            }];
        }
        let mut block = Vec::new();
        if self.rng.gen_bool(0.3) {
            let mut watch = vec![word("WATCH")];
            watch.extend(self.keys_list(1, 2));
            block.push(watch);
            if self.rng.gen_bool(0.5) {
                let family = self.inner_family();
                block.push(self.single(family));
            }
        }
        block.push(vec![word("MULTI")]);
        for _ in 0..self.rng.gen_range(0..=4) {
            let command = match self.rng.gen_range(0..20) {
                0 => vec![word("MULTI")],
                1 => vec![word("WATCH"), self.key()],
                _ => {
                    let family = self.inner_family();
                    self.single(family)
                }
            };
            block.push(command);
        }
        block.push(if self.rng.gen_ratio(3, 4) {
            vec![word("EXEC")]
        } else {
            vec![word("DISCARD")]
        });
        block
    }
}

impl Iterator for Generator {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        self.next_command()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<Command> = Generator::new(7).take(3000).collect();
        let b: Vec<Command> = Generator::new(7).take(3000).collect();
        let c: Vec<Command> = Generator::new(8).take(3000).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn families_restrict_the_stream() {
        let commands: Vec<Command> = Generator::with_families(1, &[Family::HyperLogLog])
            .take(500)
            .collect();
        assert!(commands.iter().all(|c| {
            let name = c[0].to_ascii_uppercase();
            [&b"PFADD"[..], b"PFCOUNT", b"PFMERGE", b"GETRANGE"].contains(&name.as_slice())
        }));
        assert_eq!(Generator::with_families(1, &[]).next(), None);
    }

    #[test]
    fn covers_every_family_and_keeps_expirations_apart() {
        let commands: Vec<Command> = Generator::new(3).take(20_000).collect();
        let names: HashSet<Vec<u8>> = commands.iter().map(|c| c[0].to_ascii_uppercase()).collect();
        for expected in [
            "SET",
            "GETEX",
            "LCS",
            "EXPIRE",
            "SWAPDB",
            "BITFIELD",
            "PFMERGE",
            "MULTI",
            "EXEC",
            "SADD",
            "SPOP",
            "SINTERSTORE",
            "SSCAN",
        ] {
            assert!(
                names.contains(expected.as_bytes()),
                "{expected} never generated"
            );
        }
        // Relative future expirations are 100 + k*1000 seconds with distinct k.
        let mut seen = HashSet::new();
        for c in &commands {
            let name = c[0].to_ascii_uppercase();
            if name == b"EXPIRE" && c.len() > 2 {
                if let Ok(v) = std::str::from_utf8(&c[2]).unwrap_or("").parse::<u64>() {
                    if v >= 100 && v % 1000 == 100 {
                        assert!(seen.insert(v), "expiration {v} reused");
                    }
                }
            }
        }
        assert!(!seen.is_empty());
    }

    #[test]
    fn spop_only_where_its_outcome_is_known() {
        let deterministic: &[&[u8]] =
            &[b"0", b"100000", b"9223372036854775807", b"-1", b"abc", b""];
        let families = [Family::Sets, Family::Transactions];
        let mut seen_scratch = false;
        for seed in 0..20 {
            for c in Generator::with_families(seed, &families).take(3000) {
                if !c[0].eq_ignore_ascii_case(b"SPOP") {
                    continue;
                }
                let scratch = c[1] == SPOP_SCRATCH_KEY;
                seen_scratch |= scratch;
                assert!(
                    scratch || c.len() == 4 || (c.len() == 3 && deterministic.contains(&&c[2][..])),
                    "SPOP with a random outcome: {c:?}"
                );
            }
        }
        assert!(seen_scratch);
    }

    #[test]
    fn list_streams_cover_the_family_and_never_block_for_long() {
        let commands: Vec<Command> = Generator::with_families(4, &[Family::Lists])
            .take(20_000)
            .collect();
        let names: HashSet<Vec<u8>> = commands.iter().map(|c| c[0].to_ascii_uppercase()).collect();
        for expected in [
            "LPUSH",
            "RPUSHX",
            "LINSERT",
            "LPOS",
            "LMPOP",
            "BLMPOP",
            "BLMOVE",
            "BRPOPLPUSH",
            "LTRIM",
            "CONFIG",
        ] {
            assert!(
                names.contains(expected.as_bytes()),
                "{expected} never generated"
            );
        }
        for c in &commands {
            let name = c[0].to_ascii_uppercase();
            let timeout = match name.as_slice() {
                b"BLPOP" | b"BRPOP" | b"BLMOVE" | b"BRPOPLPUSH" => c.last(),
                b"BLMPOP" => c.get(1),
                _ => continue,
            };
            let timeout = timeout.map(|t| t.as_slice());
            assert!(
                !matches!(timeout, Some(b"0" | b"-0.001" | b"0.0")),
                "a blocking command that could wait for ever: {c:?}"
            );
        }
    }

    #[test]
    fn sort_streams_are_mostly_sorts_of_deterministic_shape() {
        let commands: Vec<Command> = Generator::with_families(5, &[Family::Sort])
            .take(1000)
            .collect();
        let sorts: Vec<&Command> = commands
            .iter()
            .filter(|c| c[0].eq_ignore_ascii_case(b"SORT") || c[0].eq_ignore_ascii_case(b"SORT_RO"))
            .collect();
        assert!(sorts.len() >= 450, "only {} sorts", sorts.len());
        let has =
            |c: &Command, word: &str| c.iter().any(|a| a.eq_ignore_ascii_case(word.as_bytes()));
        for c in sorts {
            let by = c
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"BY"))
                .and_then(|at| c.get(at + 1));
            let is_list = c[1].starts_with(b"sl") || c[1].starts_with(b"l");
            if is_list {
                continue;
            }
            let weighted = by.is_some_and(|p| p.contains(&b'*'));
            assert!(!(has(c, "ALPHA") && weighted), "ALPHA by weights: {c:?}");
            let nosort = by.is_some_and(|p| !p.contains(&b'*'));
            assert!(
                !nosort || has(c, "STORE") || c[1].starts_with(b"sz"),
                "BY nosort on a set: {c:?}"
            );
        }
    }

    #[test]
    fn family_names_round_trip() {
        for family in Family::ALL {
            assert_eq!(Family::from_name(family.name()), Some(*family));
        }
        assert_eq!(Family::from_name("nope"), None);
    }
}
