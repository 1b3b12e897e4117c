//! Per-key access tracking, as Valkey keeps it in each object's 24-bit `lru` field: under an LRU (or no)
//! maxmemory policy the field is a clock in seconds; under an LFU policy it is a 16-bit minute stamp
//! followed by an 8-bit logarithmic access counter. OBJECT IDLETIME and OBJECT FREQ read it.
//!
//! Which of the two is recorded, the time and whether the running command may touch keys at all
//! (CLIENT NO-TOUCH) are executor-thread state, like Valkey's `server.lruclock` and `current_client`:
//! the dispatcher sets them once per command with [`begin_command`].

use std::cell::Cell;

use crate::config::Config;

/// Largest value of the 24-bit LRU clock; the clock wraps around after it.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// The counter a key starts with under an LFU policy, so that new keys are not evicted at once.
pub const LFU_INIT_VAL: u8 = 5;

/// How accesses are recorded, derived from `maxmemory-policy`, `lfu-log-factor` and `lfu-decay-time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPolicy {
    /// True under `volatile-lfu` and `allkeys-lfu`.
    pub lfu: bool,
    /// How slowly the LFU counter grows: the chance of an increment is 1 / ((counter - 5) * factor + 1).
    pub lfu_log_factor: u32,
    /// Minutes after which an untouched LFU counter is decremented by one (0 = never).
    pub lfu_decay_time: u32,
}

impl AccessPolicy {
    /// Valkey's defaults (`noeviction`, factor 10, decay 1).
    pub const DEFAULT: Self = Self {
        lfu: false,
        lfu_log_factor: 10,
        lfu_decay_time: 1,
    };

    /// The policy `config` asks for.
    pub fn from_config(config: &Config) -> Self {
        Self {
            lfu: config.get("maxmemory-policy").ends_with("-lfu"),
            lfu_log_factor: config.get_i64("lfu-log-factor").clamp(0, u32::MAX.into()) as u32,
            lfu_decay_time: config.get_i64("lfu-decay-time").clamp(0, u32::MAX.into()) as u32,
        }
    }
}

#[derive(Clone, Copy)]
struct Context {
    policy: AccessPolicy,
    /// Generation of the configuration `policy` was derived from.
    config_generation: Option<u64>,
    /// The running command's time, Unix ms; 0 outside commands (the system clock is read instead).
    now_ms: i64,
    /// False while a CLIENT NO-TOUCH client runs anything but TOUCH.
    touch: bool,
}

thread_local! {
    static CONTEXT: Cell<Context> = const {
        Cell::new(Context {
            policy: AccessPolicy::DEFAULT,
            config_generation: None,
            now_ms: 0,
            touch: true,
        })
    };
}

/// Prepares access tracking for one command: refreshes the policy if `config` changed, records the
/// command's time and whether it may update access times (`allow_touch` is false for a CLIENT
/// NO-TOUCH client running anything but TOUCH).
pub fn begin_command(config: &Config, now_ms: i64, allow_touch: bool) {
    CONTEXT.with(|cell| {
        let mut context = cell.get();
        if context.config_generation != Some(config.generation()) {
            context.policy = AccessPolicy::from_config(config);
            context.config_generation = Some(config.generation());
        }
        context.now_ms = now_ms;
        context.touch = allow_touch;
        cell.set(context);
    });
}

/// The policy in force.
pub fn policy() -> AccessPolicy {
    CONTEXT.with(|cell| cell.get().policy)
}

fn now_ms(context: &Context) -> i64 {
    if context.now_ms > 0 {
        context.now_ms
    } else {
        crate::server::unix_ms()
    }
}

fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 1000) as u64 & u64::from(LRU_CLOCK_MAX)) as u32
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 1000 / 60) & 0xffff) as u32
}

/// The access word of a value created now (Valkey's `createObject`).
pub(crate) fn fresh() -> u32 {
    let context = CONTEXT.with(Cell::get);
    let now = now_ms(&context);
    if context.policy.lfu {
        (lfu_minutes(now) << 8) | u32::from(LFU_INIT_VAL)
    } else {
        lru_clock(now)
    }
}

/// The access word after a lookup of a value whose word was `word` (unchanged under CLIENT NO-TOUCH).
pub(crate) fn touched(word: u32) -> u32 {
    let context = CONTEXT.with(Cell::get);
    if !context.touch {
        return word;
    }
    let now = now_ms(&context);
    if context.policy.lfu {
        let counter = decayed_counter(word, now, context.policy.lfu_decay_time);
        let counter = log_increment(counter, context.policy.lfu_log_factor, rand::random());
        (lfu_minutes(now) << 8) | u32::from(counter)
    } else {
        lru_clock(now)
    }
}

/// The access word RESTORE's IDLETIME or FREQ leaves (Valkey's `objectSetLRUOrLFU`): under an LFU
/// policy the counter `frequency` stamped with the current minute; otherwise a clock reading
/// `idle_seconds` in the past (wrapping like Valkey's 24-bit field). `None` when the option given
/// does not apply to the policy in force.
pub(crate) fn restored(idle_seconds: Option<i64>, frequency: Option<u8>) -> Option<u32> {
    let context = CONTEXT.with(Cell::get);
    let now = now_ms(&context);
    if context.policy.lfu {
        return frequency.map(|counter| (lfu_minutes(now) << 8) | u32::from(counter));
    }
    let idle = idle_seconds?.wrapping_mul(1000) / 1000;
    let mut absolute = i64::from(lru_clock(now)).wrapping_sub(idle);
    if absolute < 0 {
        absolute = absolute.wrapping_add(i64::from(LRU_CLOCK_MAX));
    }
    Some((absolute as u32) & LRU_CLOCK_MAX)
}

/// Seconds since the value was last accessed, reading `word` as an LRU clock.
pub(crate) fn idle_seconds(word: u32) -> u64 {
    let context = CONTEXT.with(Cell::get);
    let clock = lru_clock(now_ms(&context));
    let word = word & LRU_CLOCK_MAX;
    let elapsed = if clock >= word {
        clock - word
    } else {
        clock + (LRU_CLOCK_MAX - word)
    };
    u64::from(elapsed)
}

/// The LFU counter, reading `word` as a minute stamp and counter and applying the decay due since.
pub(crate) fn frequency(word: u32) -> u8 {
    let context = CONTEXT.with(Cell::get);
    decayed_counter(word, now_ms(&context), context.policy.lfu_decay_time)
}

/// Valkey's `LFUDecrAndReturn`: the counter minus one per `decay_time` minutes since the stamp.
fn decayed_counter(word: u32, now_ms: i64, decay_time: u32) -> u8 {
    let stamp = (word >> 8) & 0xffff;
    let counter = (word & 0xff) as u8;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= stamp {
        now - stamp
    } else {
        65535 - stamp + now
    };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    if periods == 0 {
        counter
    } else if periods > u32::from(counter) {
        0
    } else {
        counter - periods as u8
    }
}

/// Valkey's `LFULogIncr`: increments `counter` with probability 1 / ((counter - 5) * factor + 1),
/// `draw` being uniform in [0, 1).
fn log_increment(counter: u8, log_factor: u32, draw: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let chance = 1.0 / (base * f64::from(log_factor) + 1.0);
    if draw < chance {
        counter + 1
    } else {
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_always_gain_their_first_increment() {
        assert_eq!(log_increment(LFU_INIT_VAL, 10, 0.999), 6);
        assert_eq!(log_increment(0, 10, 0.999), 1);
        assert_eq!(log_increment(6, 10, 0.5), 6);
        assert_eq!(log_increment(6, 10, 0.05), 7);
        assert_eq!(log_increment(255, 0, 0.0), 255);
    }

    #[test]
    fn counters_decay_per_period_and_wrap_the_minute_stamp() {
        let minute = 60_000;
        let stamp = lfu_minutes(100 * minute);
        let word = (stamp << 8) | 20;
        assert_eq!(decayed_counter(word, 100 * minute, 1), 20);
        assert_eq!(decayed_counter(word, 103 * minute, 1), 17);
        assert_eq!(decayed_counter(word, 103 * minute, 2), 19);
        assert_eq!(decayed_counter(word, 103 * minute, 0), 20);
        assert_eq!(decayed_counter(word, 200 * minute, 1), 0);
        // A stamp "after" now means the 16-bit minute clock wrapped.
        let late = (65_534 << 8) | 20;
        assert_eq!(decayed_counter(late, 65_536 * minute + 2 * minute, 1), 17);
    }

    #[test]
    fn lru_clock_wraps_at_24_bits() {
        assert_eq!(lru_clock(i64::from(LRU_CLOCK_MAX) * 1000), LRU_CLOCK_MAX);
        assert_eq!(lru_clock(i64::from(LRU_CLOCK_MAX + 1) * 1000), 0);
    }
}
