//! Geo commands as Valkey 9.1 implements them on top of sorted sets: GEOADD stores each point as its
//! 52-bit geohash score; GEOPOS, GEOHASH and GEODIST decode scores; GEOSEARCH, GEOSEARCHSTORE and the
//! GEORADIUS* family scan the centre box and its eight neighbours, filter by circle, rectangle or
//! polygon, sort by distance (glibc's merge sort, or Valkey's partial quicksort under COUNT) and reply
//! or store.

mod geohash;

use ferry_resp::number::parse_i64;
use ferry_resp::{Argv, ReplyBuffer};

use crate::commands::sorted_sets::{read_zset, store_result, zadd_apply};
use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1, TWO_KEYS};
use crate::error::{c_str, CommandError, CommandResult, NOT_FLOAT, NOT_INTEGER, SYNTAX};
use crate::pqsort::partial_sort;
use crate::types::zset::score::parse_score;
use crate::types::zset::{AddFlags, Range, ZSet};

use geohash::{Shape, ShapeKind};

const ACL_READ: u64 = acl::READ | acl::GEO | acl::SLOW;
const ACL_WRITE: u64 = acl::WRITE | acl::GEO | acl::SLOW;

/// Geo commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "geoadd",
        -5,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE,
        KEY1,
        geoadd,
    ),
    CommandSpec::new("geopos", -2, flags::READONLY, ACL_READ, KEY1, geopos),
    CommandSpec::new(
        "geohash",
        -2,
        flags::READONLY,
        ACL_READ,
        KEY1,
        geohash_command,
    ),
    CommandSpec::new("geodist", -4, flags::READONLY, ACL_READ, KEY1, geodist),
    CommandSpec::new(
        "georadius",
        -6,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE,
        KEY1,
        georadius,
    )
    .with_movable_keys(radius_keys),
    CommandSpec::new(
        "georadius_ro",
        -6,
        flags::READONLY,
        ACL_READ,
        KEY1,
        georadius_ro,
    ),
    CommandSpec::new(
        "georadiusbymember",
        -5,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE,
        KEY1,
        georadiusbymember,
    )
    .with_movable_keys(radius_keys),
    CommandSpec::new(
        "georadiusbymember_ro",
        -5,
        flags::READONLY,
        ACL_READ,
        KEY1,
        georadiusbymember_ro,
    ),
    CommandSpec::new("geosearch", -7, flags::READONLY, ACL_READ, KEY1, geosearch),
    CommandSpec::new(
        "geosearchstore",
        -8,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE,
        TWO_KEYS,
        geosearchstore,
    ),
];

const UNSUPPORTED_UNIT: CommandError =
    CommandError::fixed("ERR unsupported unit provided. please use M, KM, FT, MI");

/// The source key and the STORE/STOREDIST destination of GEORADIUS and GEORADIUSBYMEMBER.
fn radius_keys(argv: &Argv) -> Vec<usize> {
    let mut keys = vec![1];
    for word in ["store", "storedist"] {
        let found = (5..argv.len().saturating_sub(1))
            .find(|&i| argv[i].eq_ignore_ascii_case(word.as_bytes()));
        if let Some(i) = found {
            keys.push(i + 1);
        }
    }
    keys
}

/// Two arguments as a longitude/latitude pair (`extractLongLatOrReply`).
fn long_lat(ctx: &Ctx<'_>, at: usize) -> Result<[f64; 2], CommandError> {
    let longitude = parse_score(ctx.arg(at)).ok_or(NOT_FLOAT)?;
    let latitude = parse_score(ctx.arg(at + 1)).ok_or(NOT_FLOAT)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&longitude)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&latitude)
    {
        return Err(CommandError::owned(format!(
            "ERR invalid longitude,latitude pair {longitude:.6},{latitude:.6}"
        )));
    }
    Ok([longitude, latitude])
}

/// Metres per unit for M, KM, FT or MI (`extractUnitOrReply`).
fn unit(arg: &[u8]) -> Result<f64, CommandError> {
    let unit = arg.to_ascii_lowercase();
    match unit.as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(UNSUPPORTED_UNIT),
    }
}

/// `<radius> <unit>`: (radius, metres per unit).
fn radius_and_unit(ctx: &Ctx<'_>, at: usize) -> Result<(f64, f64), CommandError> {
    let radius = parse_score(ctx.arg(at)).ok_or(CommandError::fixed("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(CommandError::fixed("ERR radius cannot be negative"));
    }
    Ok((radius, unit(ctx.arg(at + 1))?))
}

/// `<width> <height> <unit>`: (width, height, metres per unit).
fn box_and_unit(ctx: &Ctx<'_>, at: usize) -> Result<(f64, f64, f64), CommandError> {
    let width = parse_score(ctx.arg(at)).ok_or(CommandError::fixed("ERR need numeric width"))?;
    let height =
        parse_score(ctx.arg(at + 1)).ok_or(CommandError::fixed("ERR need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CommandError::fixed(
            "ERR height or width cannot be negative",
        ));
    }
    Ok((width, height, unit(ctx.arg(at + 2))?))
}

/// A member's position, or Valkey's error for a missing member.
fn member_position(zset: &ZSet, member: &[u8]) -> Result<[f64; 2], CommandError> {
    zset.score(member)
        .and_then(geohash::decode_score)
        .ok_or_else(|| {
            CommandError::owned(format!(
                "ERR member {} does not exist",
                c_str(member, usize::MAX)
            ))
        })
}

/// `%.17Lf` without trailing zeros, `-0` as `0` (Valkey's human-friendly long double text).
fn human_text(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    let text = format!("{value:.17}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A coordinate as Valkey's `addReplyHumanLongDouble` sends it: a bulk string in RESP2, a double in
/// RESP3.
fn reply_coordinate(reply: &mut ReplyBuffer, value: f64) {
    let text = human_text(value);
    if reply.is_resp3() {
        let mut line = Vec::with_capacity(text.len() + 3);
        line.push(b',');
        line.extend_from_slice(text.as_bytes());
        line.extend_from_slice(b"\r\n");
        reply.raw(&line);
    } else {
        reply.bulk(text.as_bytes());
    }
}

/// C's `llrint` on x86-64: round half to even; NaN and out-of-range values give `i64::MIN`.
fn llrint(value: f64) -> i64 {
    geohash::c_double_to_i64(value.round_ties_even())
}

/// A distance with four decimals (Valkey's `fixedpoint_d2string(.., 4)`).
fn distance_text(distance: f64) -> String {
    if distance == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = llrint(distance * 10000.0);
    let magnitude = scaled.unsigned_abs();
    let sign = if scaled < 0 { "-" } else { "" };
    format!("{sign}{}.{:04}", magnitude / 10000, magnitude % 10000)
}

// ---------------------------------------------------------------------------------------------------
// GEOADD, GEOPOS, GEOHASH, GEODIST.

fn geoadd(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut at = 2;
    while at < argv.len() {
        if ctx.arg_is(at, "nx") {
            nx = true;
        } else if ctx.arg_is(at, "xx") {
            xx = true;
        } else if ctx.arg_is(at, "ch") {
            ch = true;
        } else {
            break;
        }
        at += 1;
    }
    if !(argv.len() - at).is_multiple_of(3) || (xx && nx) {
        return Err(SYNTAX);
    }
    let elements = (argv.len() - at) / 3;
    let mut pairs = Vec::with_capacity(elements);
    for i in 0..elements {
        let [longitude, latitude] = long_lat(ctx, at + 3 * i)?;
        let score = geohash::score_of(longitude, latitude).unwrap_or(0);
        pairs.push((score as f64, &argv[at + 3 * i + 2][..]));
    }
    if pairs.is_empty() {
        return Err(SYNTAX);
    }
    let flags = AddFlags {
        nx,
        xx,
        ..AddFlags::default()
    };
    zadd_apply(ctx, &argv[1], flags, ch, &pairs)
}

fn geopos(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let zset = read_zset(ctx.server, db, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - 2);
    for member in argv.iter().skip(2) {
        match zset
            .and_then(|z| z.score(member))
            .and_then(geohash::decode_score)
        {
            Some([longitude, latitude]) => {
                reply.array(2);
                reply_coordinate(reply, longitude);
                reply_coordinate(reply, latitude);
            }
            None => reply.null_array(),
        }
    }
    Ok(())
}

fn geohash_command(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let zset = read_zset(ctx.server, db, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - 2);
    for member in argv.iter().skip(2) {
        match zset
            .and_then(|z| z.score(member))
            .and_then(geohash::geohash_text)
        {
            Some(text) => reply.bulk(&text),
            None => reply.null(),
        }
    }
    Ok(())
}

fn geodist(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let to_meters = match argv.len() {
        5 => unit(&argv[4])?,
        4 => 1.0,
        _ => return Err(SYNTAX),
    };
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let zset = read_zset(ctx.server, db, &argv[1], now)?;
    let points = zset.and_then(|z| {
        let first = geohash::decode_score(z.score(&argv[2])?)?;
        let second = geohash::decode_score(z.score(&argv[3])?)?;
        Some((first, second))
    });
    let reply = &mut ctx.client.reply;
    match points {
        Some(([lon1, lat1], [lon2, lat2])) => {
            let meters = geohash::distance(lon1, lat1, lon2, lat2);
            reply.bulk(distance_text(meters / to_meters).as_bytes());
        }
        None => reply.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Searches.

/// Which command runs the search (Valkey's `georadiusGeneric` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// GEORADIUS / GEORADIUS_RO: centre coordinates and radius as fixed arguments.
    RadiusCoords { store_allowed: bool },
    /// GEORADIUSBYMEMBER / _RO: centre member and radius as fixed arguments.
    RadiusMember { store_allowed: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: everything through options.
    Query { store: bool },
}

fn georadius(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(
        ctx,
        Search::RadiusCoords {
            store_allowed: true,
        },
    )
}

fn georadius_ro(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(
        ctx,
        Search::RadiusCoords {
            store_allowed: false,
        },
    )
}

fn georadiusbymember(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(
        ctx,
        Search::RadiusMember {
            store_allowed: true,
        },
    )
}

fn georadiusbymember_ro(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(
        ctx,
        Search::RadiusMember {
            store_allowed: false,
        },
    )
}

fn geosearch(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(ctx, Search::Query { store: false })
}

fn geosearchstore(ctx: &mut Ctx<'_>) -> CommandResult {
    search_generic(ctx, Search::Query { store: true })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    None,
    Ascending,
    Descending,
}

/// A point found by a search.
struct Point {
    position: [f64; 2],
    distance: f64,
    score: f64,
    member: Vec<u8>,
}

/// Valkey's comparator: 1, 0 or -1 by distance (NaN compares as smaller).
fn compare_distance(a: &Point, b: &Point) -> i32 {
    if a.distance > b.distance {
        1
    } else if a.distance == b.distance {
        0
    } else {
        -1
    }
}

/// The sorted set under `key` in the selected db, already looked up (no expiry, no stats).
fn stored_zset<'c>(ctx: &'c Ctx<'_>, key: &[u8]) -> Option<&'c ZSet> {
    match ctx.server.dbs[ctx.db_index].peek(key) {
        Some(crate::types::Value::ZSet(zset)) => Some(zset),
        _ => None,
    }
}

/// Valkey's `georadiusGeneric`.
fn search_generic(ctx: &mut Ctx<'_>, kind: Search) -> CommandResult {
    let argv = ctx.argv;
    let source = if kind == (Search::Query { store: true }) {
        2
    } else {
        1
    };
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let exists = read_zset(ctx.server, db, &argv[source], now)?.is_some();
    let mut shape = Shape {
        center: [0.0, 0.0],
        conversion: 1.0,
        kind: ShapeKind::Circle(0.0),
    };
    let mut store_key: Option<usize> = None;
    let mut store_distances = false;
    let base = match kind {
        Search::RadiusCoords { .. } => {
            shape.center = long_lat(ctx, 2)?;
            let (radius, conversion) = radius_and_unit(ctx, 4)?;
            shape.kind = ShapeKind::Circle(radius);
            shape.conversion = conversion;
            6
        }
        Search::RadiusMember { .. } => {
            if let Some(zset) = stored_zset(ctx, &argv[source]) {
                shape.center = member_position(zset, &argv[2])?;
                let (radius, conversion) = radius_and_unit(ctx, 3)?;
                shape.kind = ShapeKind::Circle(radius);
                shape.conversion = conversion;
            }
            5
        }
        Search::Query { store } => {
            if store {
                store_key = Some(1);
                3
            } else {
                2
            }
        }
    };
    let is_search = matches!(kind, Search::Query { .. });
    let store_allowed = matches!(
        kind,
        Search::RadiusCoords {
            store_allowed: true
        } | Search::RadiusMember {
            store_allowed: true
        }
    );
    let (mut with_dist, mut with_hash, mut with_coord) = (false, false, false);
    let (mut from_member, mut from_lonlat) = (false, false);
    let (mut by_radius, mut by_box, mut by_polygon) = (false, false, false);
    let mut order = Order::None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = argv.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let word = argv[at].to_ascii_lowercase();
        match word.as_slice() {
            b"withdist" => with_dist = true,
            b"withhash" => with_hash = true,
            b"withcoord" => with_coord = true,
            b"any" => any = true,
            b"asc" => order = Order::Ascending,
            b"desc" => order = Order::Descending,
            b"count" if i + 1 < remaining => {
                count = parse_i64(&argv[at + 1]).ok_or(NOT_INTEGER)?;
                if count <= 0 {
                    return Err(CommandError::fixed("ERR COUNT must be > 0"));
                }
                i += 1;
            }
            b"store" | b"storedist" if i + 1 < remaining && store_allowed => {
                store_key = Some(at + 1);
                store_distances = word == b"storedist";
                i += 1;
            }
            b"storedist" if kind == (Search::Query { store: true }) => store_distances = true,
            b"frommember" if i + 1 < remaining && is_search && !from_lonlat && !by_polygon => {
                if let Some(zset) = stored_zset(ctx, &argv[source]) {
                    shape.center = member_position(zset, &argv[at + 1])?;
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if i + 2 < remaining && is_search && !from_member && !by_polygon => {
                shape.center = long_lat(ctx, at + 1)?;
                from_lonlat = true;
                i += 2;
            }
            b"byradius" if i + 2 < remaining && is_search && !by_box && !by_polygon => {
                let (radius, conversion) = radius_and_unit(ctx, at + 1)?;
                shape.kind = ShapeKind::Circle(radius);
                shape.conversion = conversion;
                by_radius = true;
                i += 2;
            }
            b"bybox" if i + 3 < remaining && is_search && !by_radius && !by_polygon => {
                let (width, height, conversion) = box_and_unit(ctx, at + 1)?;
                shape.kind = ShapeKind::Rectangle(width, height);
                shape.conversion = conversion;
                by_box = true;
                i += 3;
            }
            b"bypolygon"
                if i + 2 < remaining
                    && is_search
                    && !by_radius
                    && !by_box
                    && !from_member
                    && !from_lonlat =>
            {
                let invalid = || CommandError::fixed("ERR invalid number of vertices");
                let vertices = parse_i64(&argv[at + 1])
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(invalid)?;
                let possible = (remaining - i - 2) / 2;
                if vertices < 3 || (possible as i64) < i64::from(vertices) {
                    return Err(CommandError::fixed(
                        "ERR GEOSEARCH BYPOLYGON must have at least 3 vertices",
                    ));
                }
                let vertices = vertices as usize;
                let mut points = Vec::with_capacity(vertices);
                for v in 0..vertices {
                    points.push(long_lat(ctx, at + 2 + 2 * v)?);
                }
                shape.kind = ShapeKind::Polygon(points);
                shape.conversion = 1.0;
                by_polygon = true;
                i += 1 + 2 * vertices;
            }
            _ => return Err(SYNTAX),
        }
        i += 1;
    }
    if store_key.is_some() && (with_dist || with_hash || with_coord) {
        let what = if kind == (Search::Query { store: true }) {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CommandError::owned(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = c_str(ctx.arg(0), usize::MAX);
    if is_search && !(from_member || from_lonlat) && !by_polygon {
        return Err(CommandError::owned(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if is_search && !(by_radius || by_box || by_polygon) {
        return Err(CommandError::owned(format!(
            "ERR exactly one of BYRADIUS, BYBOX and BYPOLYGON can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(CommandError::fixed(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    if !exists {
        match store_key {
            Some(key) => store_result(ctx, &argv[key], Vec::new()),
            None => ctx.reply().array(0),
        }
        return Ok(());
    }
    if count != 0 && order == Order::None && !any {
        order = Order::Ascending;
    }
    let limit = if any { count as u64 } else { 0 };
    let mut points = match stored_zset(ctx, &argv[source]) {
        Some(zset) => find_points(zset, &mut shape, limit),
        None => Vec::new(),
    };
    if points.is_empty() && store_key.is_none() {
        ctx.reply().array(0);
        return Ok(());
    }
    let total = points.len();
    let returned = if count == 0 || (total as u64) < count as u64 {
        total
    } else {
        count as usize
    };
    if order != Order::None {
        let descending = order == Order::Descending;
        let compare = |a: &Point, b: &Point| {
            let order = compare_distance(a, b);
            if descending {
                -order
            } else {
                order
            }
        };
        // glibc's qsort (what Valkey calls for a full sort) is a stable merge sort, so any stable
        // sort gives the same order; a COUNT below the total uses Valkey's partial quicksort.
        let mut ordering = |a: &Point, b: &Point| compare(a, b).cmp(&0);
        if returned == total {
            points.sort_by(ordering);
        } else {
            partial_sort(&mut points, 0, returned - 1, &mut ordering);
        }
    }
    points.truncate(returned);
    for point in &mut points {
        point.distance /= shape.conversion;
    }
    if let Some(key) = store_key {
        let pairs = points
            .into_iter()
            .map(|p| {
                let score = if store_distances { p.distance } else { p.score };
                (p.member, score)
            })
            .collect();
        store_result(ctx, &argv[key], pairs);
        return Ok(());
    }
    let options = usize::from(with_dist) + usize::from(with_hash) + usize::from(with_coord);
    let reply = &mut ctx.client.reply;
    reply.array(points.len());
    for point in &points {
        if options > 0 {
            reply.array(options + 1);
        }
        reply.bulk(&point.member);
        if with_dist {
            reply.bulk(distance_text(point.distance).as_bytes());
        }
        if with_hash {
            reply.int(geohash::c_double_to_i64(point.score));
        }
        if with_coord {
            reply.array(2);
            reply_coordinate(reply, point.position[0]);
            reply_coordinate(reply, point.position[1]);
        }
    }
    Ok(())
}

/// Collects the points inside the shape from the centre box and its neighbours, stopping once
/// `limit` points were found (0 = no limit), like Valkey's `membersOfAllNeighbors`.
fn find_points(zset: &ZSet, shape: &mut Shape, limit: u64) -> Vec<Point> {
    let boxes = geohash::search_boxes(shape);
    let mut points = Vec::new();
    let mut last_processed = 0;
    for (i, hash) in boxes.iter().enumerate() {
        if hash.bits == 0 && hash.step == 0 {
            continue;
        }
        // Huge radiuses can make neighbours repeat; skip a box equal to the one just searched.
        if last_processed != 0 && *hash == boxes[last_processed] {
            continue;
        }
        if limit != 0 && points.len() as u64 >= limit {
            break;
        }
        let min = geohash::align52(*hash);
        let max = geohash::align52(geohash::Bits {
            bits: hash.bits.wrapping_add(1),
            step: hash.step,
        });
        points_in_box(zset, shape, min as f64, max as f64, limit, &mut points);
        last_processed = i;
    }
    points
}

/// Valkey's `geoGetPointsInRange`: scores in `[min, max)` whose points lie inside the shape.
fn points_in_box(
    zset: &ZSet,
    shape: &Shape,
    min: f64,
    max: f64,
    limit: u64,
    points: &mut Vec<Point>,
) {
    let range = Range::Score {
        min,
        min_exclusive: false,
        max,
        max_exclusive: true,
    };
    let Some(first) = zset.first_in(&range) else {
        return;
    };
    zset.visit(first, false, |member, score| {
        if !range.lte_max(member, score) {
            return false;
        }
        if let Some(position) = geohash::decode_score(score) {
            if let Some(distance) = geohash::distance_if_within(shape, position) {
                points.push(Point {
                    position,
                    distance,
                    score,
                    member: member.to_vec(),
                });
            }
        }
        !(limit != 0 && points.len() as u64 >= limit)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_coordinates_print_like_valkey() {
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(166274.15156960033), "166274.1516");
        assert_eq!(distance_text(0.00004), "0.0000");
        assert_eq!(distance_text(0.00005), "0.0000");
        assert_eq!(distance_text(1.23456), "1.2346");
        assert_eq!((llrint(2.5), llrint(3.5), llrint(-2.5)), (2, 4, -2));
        assert_eq!(distance_text(-1.5), "-1.5000");
        assert_eq!(distance_text(f64::NAN), "-922337203685477.5808");
        assert_eq!(human_text(180.0), "180");
        assert_eq!(human_text(-0.0), "0");
        assert_eq!(human_text(-1e-20), "0");
        assert_eq!(human_text(13.361389338970184), "13.36138933897018433");
    }
}
