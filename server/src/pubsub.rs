//! The publish/subscribe registry: which connections listen on which channels, patterns and shard
//! channels, and the delivery of published messages into their output.
//!
//! A message is encoded once per publish (per matching pattern for `pmessage`); each subscriber then
//! gets a four-byte header (`*3`/`>3`, its protocol decides) and a copy of those bytes appended to its
//! pushed output, and its connection task is woken. The connection moves pushed output into its reply
//! stream before and after each command it runs, so a message to the publisher itself follows the
//! reply of the whole command (of the whole EXEC), as Valkey defers it.
//!
//! A subscriber that does not read lets its pushed output grow; the `pubsub` class of
//! `client-output-buffer-limit` closes it past the hard limit, or past the soft limit for longer than
//! the soft time, like Valkey (which then drops the output instead of queueing more).

use std::cell::RefCell;
use std::rc::Rc;

use foldhash::{HashMap, HashSet};

use crate::client::{ClientId, ClientShared};
use crate::config::{parse_buffer_limits, BufferLimit, Config};
use crate::glob::glob_match;

/// What a subscription is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A channel (SUBSCRIBE).
    Channel,
    /// A glob pattern over channel names (PSUBSCRIBE).
    Pattern,
    /// A shard channel (SSUBSCRIBE).
    ShardChannel,
}

impl Kind {
    /// The first element of a subscribe confirmation.
    pub fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::ShardChannel => b"ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    pub fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::ShardChannel => b"sunsubscribe",
        }
    }
}

/// How many subscriptions of each kind a connection holds (CLIENT LIST `sub`, `psub`, `ssub`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriptionCounts {
    /// Channels.
    pub channels: usize,
    /// Patterns.
    pub patterns: usize,
    /// Shard channels.
    pub shard_channels: usize,
}

impl SubscriptionCounts {
    /// True while the connection holds any subscription: Valkey's "pubsub" client flag (`P`).
    pub fn any(&self) -> bool {
        self.channels + self.patterns + self.shard_channels > 0
    }

    /// The count a confirmation of `kind` reports: channels and patterns together, shard channels
    /// on their own.
    pub fn reported(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels + self.patterns,
            Kind::ShardChannel => self.shard_channels,
        }
    }
}

/// The connections subscribed to one channel or pattern.
type Subscribers = HashMap<ClientId, Rc<RefCell<ClientShared>>>;

/// One connection's subscriptions (the reverse of the server-side maps).
#[derive(Default)]
struct ClientSubscriptions {
    channels: HashSet<Vec<u8>>,
    patterns: HashSet<Vec<u8>>,
    shard_channels: HashSet<Vec<u8>>,
}

/// The outcome of a publish.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Deliveries made (PUBLISH's reply); a subscriber closed for its output counts, as in Valkey.
    pub receivers: usize,
    /// Subscribers closed for going over the `pubsub` output buffer limit.
    pub disconnected: usize,
}

/// The `pubsub` class of `client-output-buffer-limit`, parsed once per configuration change.
#[derive(Default)]
struct OutputLimit {
    config_generation: Option<u64>,
    hard_bytes: usize,
    soft_bytes: usize,
    soft_ms: i64,
    /// When each subscriber over the soft limit went over it.
    soft_since_ms: HashMap<ClientId, i64>,
}

impl OutputLimit {
    fn refresh(&mut self, config: &Config) {
        if self.config_generation == Some(config.generation()) {
            return;
        }
        let (hard, soft, seconds): BufferLimit =
            parse_buffer_limits(config.get("client-output-buffer-limit"))[2];
        self.config_generation = Some(config.generation());
        self.hard_bytes = usize::try_from(hard).unwrap_or(usize::MAX);
        self.soft_bytes = usize::try_from(soft).unwrap_or(usize::MAX);
        self.soft_ms = seconds.saturating_mul(1000);
    }

    /// True when a subscriber holding `pending` bytes must be closed (Valkey's
    /// `checkClientOutputBufferLimits`: over the hard limit, or over the soft one for too long).
    fn exceeded(&mut self, id: ClientId, pending: usize, now_ms: i64) -> bool {
        if self.hard_bytes > 0 && pending >= self.hard_bytes {
            return true;
        }
        if self.soft_bytes == 0 || pending < self.soft_bytes {
            self.soft_since_ms.remove(&id);
            return false;
        }
        let since = *self.soft_since_ms.entry(id).or_insert(now_ms);
        now_ms - since > self.soft_ms
    }
}

impl ClientSubscriptions {
    fn set(&mut self, kind: Kind) -> &mut HashSet<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::ShardChannel => &mut self.shard_channels,
        }
    }

    fn counts(&self) -> SubscriptionCounts {
        SubscriptionCounts {
            channels: self.channels.len(),
            patterns: self.patterns.len(),
            shard_channels: self.shard_channels.len(),
        }
    }
}

/// Every subscription on the server.
#[derive(Default)]
pub struct PubSub {
    channels: HashMap<Vec<u8>, Subscribers>,
    patterns: HashMap<Vec<u8>, Subscribers>,
    shard_channels: HashMap<Vec<u8>, Subscribers>,
    clients: HashMap<ClientId, ClientSubscriptions>,
    /// The message being published, encoded without its array header; reused between publishes.
    frame: Vec<u8>,
    limit: OutputLimit,
}

impl PubSub {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, Subscribers> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::ShardChannel => &mut self.shard_channels,
        }
    }

    /// Subscribes `client` to `name`. Returns false when it already was.
    pub fn subscribe(
        &mut self,
        kind: Kind,
        client: &Rc<RefCell<ClientShared>>,
        name: &[u8],
    ) -> bool {
        let id = client.borrow().id;
        let mine = self.clients.entry(id).or_default();
        if !mine.set(kind).insert(name.to_vec()) {
            return false;
        }
        let counts = mine.counts();
        client.borrow_mut().subscriptions = counts;
        self.map(kind)
            .entry(name.to_vec())
            .or_default()
            .insert(id, client.clone());
        true
    }

    /// Unsubscribes client `id` from `name`. Returns false when it was not subscribed.
    pub fn unsubscribe(&mut self, kind: Kind, id: ClientId, name: &[u8]) -> bool {
        let Some(mine) = self.clients.get_mut(&id) else {
            return false;
        };
        if !mine.set(kind).remove(name) {
            return false;
        }
        let counts = mine.counts();
        if !counts.any() {
            self.clients.remove(&id);
        }
        let map = self.map(kind);
        if let Some(subscribers) = map.get_mut(name) {
            if let Some(shared) = subscribers.remove(&id) {
                shared.borrow_mut().subscriptions = counts;
            }
            if subscribers.is_empty() {
                // Like Valkey, an abandoned channel costs nothing.
                map.remove(name);
            }
        }
        true
    }

    /// The names client `id` is subscribed to, of one kind (for an UNSUBSCRIBE without arguments).
    pub fn subscriptions(&self, kind: Kind, id: ClientId) -> Vec<Vec<u8>> {
        self.clients.get(&id).map_or_else(Vec::new, |mine| {
            let set = match kind {
                Kind::Channel => &mine.channels,
                Kind::Pattern => &mine.patterns,
                Kind::ShardChannel => &mine.shard_channels,
            };
            set.iter().cloned().collect()
        })
    }

    /// Client `id`'s subscription counts.
    pub fn counts(&self, id: ClientId) -> SubscriptionCounts {
        self.clients
            .get(&id)
            .map_or_else(SubscriptionCounts::default, ClientSubscriptions::counts)
    }

    /// Drops every subscription of client `id` without confirmations (RESET, disconnection, CLIENT
    /// KILL).
    pub fn forget(&mut self, id: ClientId) {
        self.limit.soft_since_ms.remove(&id);
        let Some(mine) = self.clients.remove(&id) else {
            return;
        };
        for (kind, names) in [
            (Kind::Channel, mine.channels),
            (Kind::Pattern, mine.patterns),
            (Kind::ShardChannel, mine.shard_channels),
        ] {
            let map = self.map(kind);
            for name in names {
                if let Some(subscribers) = map.get_mut(&name) {
                    if let Some(shared) = subscribers.remove(&id) {
                        shared.borrow_mut().subscriptions = SubscriptionCounts::default();
                    }
                    if subscribers.is_empty() {
                        map.remove(&name);
                    }
                }
            }
        }
    }

    /// Delivers `message` to the subscribers of `channel` (and, unless `shard`, of every pattern that
    /// matches it), closing subscribers whose pushed output outgrows the `pubsub` limits of `config`.
    pub fn publish(
        &mut self,
        shard: bool,
        channel: &[u8],
        message: &[u8],
        config: &Config,
        now_ms: i64,
    ) -> Published {
        let Self {
            channels,
            patterns,
            shard_channels,
            frame,
            limit,
            ..
        } = self;
        limit.refresh(config);
        let mut published = Published::default();
        let mut deliver_all = |subscribers: &Subscribers, elements: u8, frame: &[u8]| {
            for (&id, subscriber) in subscribers {
                published.receivers += 1;
                if deliver(id, subscriber, elements, frame, limit, now_ms) {
                    published.disconnected += 1;
                }
            }
        };
        let direct = if shard { shard_channels } else { channels };
        if let Some(subscribers) = direct.get(channel) {
            frame.clear();
            push_bulk(frame, if shard { b"smessage" } else { b"message" });
            push_bulk(frame, channel);
            push_bulk(frame, message);
            deliver_all(subscribers, b'3', frame);
        }
        if shard {
            return published;
        }
        for (pattern, subscribers) in patterns.iter() {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            frame.clear();
            push_bulk(frame, b"pmessage");
            push_bulk(frame, pattern);
            push_bulk(frame, channel);
            push_bulk(frame, message);
            deliver_all(subscribers, b'4', frame);
        }
        published
    }

    /// The active channels (shard channels with `shard`), optionally only those matching `pattern`
    /// (PUBSUB CHANNELS / SHARDCHANNELS).
    pub fn channel_names(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        let map = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        map.keys()
            .map(Vec::as_slice)
            .filter(|name| pattern.is_none_or(|pattern| glob_match(pattern, name, false)))
            .collect()
    }

    /// How many connections are subscribed to `channel` (a shard channel with `shard`).
    pub fn subscriber_count(&self, shard: bool, channel: &[u8]) -> usize {
        let map = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        map.get(channel).map_or(0, HashMap::len)
    }

    /// Active channels (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Active patterns (PUBSUB NUMPAT, INFO `pubsub_patterns`).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Active shard channels (INFO `pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Connections holding any subscription (INFO `pubsub_clients`).
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }
}

/// Appends a RESP bulk string.
fn push_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends one message (`elements` is the ASCII digit of its element count, `body` its elements) to a
/// subscriber's pushed output and wakes its connection. Returns true when this closed the subscriber
/// for going over its output limit; a subscriber already closing gets nothing more.
fn deliver(
    id: ClientId,
    subscriber: &Rc<RefCell<ClientShared>>,
    elements: u8,
    body: &[u8],
    limit: &mut OutputLimit,
    now_ms: i64,
) -> bool {
    let mut shared = subscriber.borrow_mut();
    if shared.kill {
        return false;
    }
    let kind = if shared.resp == 3 { b'>' } else { b'*' };
    shared
        .outbox
        .extend_from_slice(&[kind, elements, b'\r', b'\n']);
    shared.outbox.extend_from_slice(body);
    let closed = limit.exceeded(id, shared.outbox.len(), now_ms);
    if closed {
        shared.kill = true;
        shared.outbox = Vec::new();
    }
    shared.wakeup.notify_one();
    closed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: ClientId, resp: u8) -> Rc<RefCell<ClientShared>> {
        let addr = "127.0.0.1:1".parse().unwrap();
        let mut shared = ClientShared::new(id, addr, addr, 0, 0);
        shared.resp = resp;
        Rc::new(RefCell::new(shared))
    }

    fn take_output(client: &Rc<RefCell<ClientShared>>) -> Vec<u8> {
        std::mem::take(&mut client.borrow_mut().outbox)
    }

    #[test]
    fn counts_follow_subscriptions() {
        let mut pubsub = PubSub::default();
        let a = client(1, 2);
        assert!(pubsub.subscribe(Kind::Channel, &a, b"news"));
        assert!(!pubsub.subscribe(Kind::Channel, &a, b"news"));
        assert!(pubsub.subscribe(Kind::Pattern, &a, b"n*"));
        assert!(pubsub.subscribe(Kind::ShardChannel, &a, b"s"));
        let counts = a.borrow().subscriptions;
        assert_eq!(counts.reported(Kind::Channel), 2);
        assert_eq!(counts.reported(Kind::ShardChannel), 1);
        assert_eq!(pubsub.client_count(), 1);
        assert!(pubsub.unsubscribe(Kind::Channel, 1, b"news"));
        assert!(!pubsub.unsubscribe(Kind::Channel, 1, b"news"));
        assert_eq!(pubsub.channel_count(), 0);
        pubsub.forget(1);
        assert_eq!(a.borrow().subscriptions, SubscriptionCounts::default());
        assert_eq!(
            (pubsub.pattern_count(), pubsub.shard_channel_count()),
            (0, 0)
        );
        assert_eq!(pubsub.client_count(), 0);
    }

    #[test]
    fn messages_are_encoded_per_protocol() {
        let mut pubsub = PubSub::default();
        let (two, three) = (client(1, 2), client(2, 3));
        pubsub.subscribe(Kind::Channel, &two, b"ch");
        pubsub.subscribe(Kind::Pattern, &three, b"c?");
        pubsub.subscribe(Kind::ShardChannel, &three, b"ch");
        let config = Config::default();
        let receivers = |published: Published| published.receivers;
        assert_eq!(
            receivers(pubsub.publish(false, b"ch", b"hi", &config, 0)),
            2
        );
        assert_eq!(
            take_output(&two),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            take_output(&three),
            b">4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        assert_eq!(receivers(pubsub.publish(true, b"ch", b"", &config, 0)), 1);
        assert_eq!(
            take_output(&three),
            b">3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$0\r\n\r\n"
        );
        assert_eq!(
            receivers(pubsub.publish(false, b"other", b"x", &config, 0)),
            0
        );
    }

    fn limited(limits: &str) -> Config {
        let mut config = Config::default();
        config
            .set("client-output-buffer-limit", limits)
            .expect("valid limits");
        config
    }

    #[test]
    fn a_subscriber_over_the_hard_output_limit_is_closed() {
        let config = limited("pubsub 100 0 0");
        let mut pubsub = PubSub::default();
        let a = client(1, 2);
        pubsub.subscribe(Kind::Channel, &a, b"ch");
        // Each message is 32 bytes: the fourth reaches 128.
        for _ in 0..3 {
            assert_eq!(
                pubsub.publish(false, b"ch", b"x", &config, 0).disconnected,
                0
            );
        }
        let published = pubsub.publish(false, b"ch", b"x", &config, 0);
        assert_eq!((published.receivers, published.disconnected), (1, 1));
        assert!(a.borrow().kill);
        assert!(a.borrow().outbox.is_empty());
        // Still registered until its connection closes: counted, but nothing is queued.
        let published = pubsub.publish(false, b"ch", b"x", &config, 0);
        assert_eq!((published.receivers, published.disconnected), (1, 0));
        assert!(a.borrow().outbox.is_empty());
    }

    #[test]
    fn a_subscriber_over_the_soft_output_limit_for_too_long_is_closed() {
        let config = limited("pubsub 0 50 1");
        let mut pubsub = PubSub::default();
        let a = client(1, 2);
        pubsub.subscribe(Kind::Channel, &a, b"ch");
        pubsub.publish(false, b"ch", b"x", &config, 0);
        // 64 bytes from t=0 on; reading in between starts the clock again.
        pubsub.publish(false, b"ch", b"x", &config, 0);
        take_output(&a);
        pubsub.publish(false, b"ch", b"x", &config, 500);
        pubsub.publish(false, b"ch", b"x", &config, 600);
        assert_eq!(
            pubsub
                .publish(false, b"ch", b"x", &config, 1600)
                .disconnected,
            0
        );
        assert!(!a.borrow().kill);
        assert_eq!(
            pubsub
                .publish(false, b"ch", b"x", &config, 1601)
                .disconnected,
            1
        );
        assert!(a.borrow().kill);
    }

    #[test]
    fn channel_listing_filters_by_pattern() {
        let mut pubsub = PubSub::default();
        let a = client(1, 2);
        for name in [&b"news.a"[..], b"news.b", b"sport"] {
            pubsub.subscribe(Kind::Channel, &a, name);
        }
        let mut names = pubsub.channel_names(false, Some(b"news.*"));
        names.sort();
        assert_eq!(names, vec![&b"news.a"[..], b"news.b"]);
        assert_eq!(pubsub.channel_names(false, None).len(), 3);
        assert_eq!(pubsub.subscriber_count(false, b"sport"), 1);
        assert_eq!(pubsub.subscriber_count(true, b"sport"), 0);
    }
}
