//! Valkey's geohash arithmetic: 52-bit interleaved scores (26 bits of latitude in the even positions,
//! longitude in the odd ones, over [-180, 180] × [-85.05112878, 85.05112878]), the neighbour boxes a
//! search visits, the bounding boxes of circles, rectangles and polygons, and the Haversine distance.
//! Every step follows Valkey's floating-point order of operations so results match bit for bit.

use std::f64::consts::PI;

/// Smallest latitude a geohash can hold (the Web Mercator limit).
pub const LAT_MIN: f64 = -85.05112878;
/// Largest latitude.
pub const LAT_MAX: f64 = 85.05112878;
/// Smallest longitude.
pub const LONG_MIN: f64 = -180.0;
/// Largest longitude.
pub const LONG_MAX: f64 = 180.0;
/// Bits per coordinate in a stored score.
pub const STEP_MAX: u8 = 26;

/// Earth's quadratic mean radius for WGS-84, as Valkey uses it.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = PI / 180.0;

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// An interleaved hash of `step` bits per coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bits {
    /// The interleaved bits.
    pub bits: u64,
    /// Bits per coordinate (0 marks an unused neighbour).
    pub step: u8,
}

impl Bits {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// A closed interval of one coordinate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interval {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// The box a hash covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Area {
    /// Longitudes covered.
    pub longitude: Interval,
    /// Latitudes covered.
    pub latitude: Interval,
}

const WGS84_LONG: Interval = Interval {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Interval = Interval {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Interleaves the low 32 bits of `x` (even positions) and `y` (odd positions).
fn interleave64(x: u32, y: u32) -> u64 {
    const MASKS: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const SHIFTS: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    for i in (0..5).rev() {
        x = (x | (x << SHIFTS[i])) & MASKS[i];
        y = (y | (y << SHIFTS[i])) & MASKS[i];
    }
    x | (y << 1)
}

/// The inverse of [`interleave64`]: even bits in the low half, odd bits in the high half.
fn deinterleave64(interleaved: u64) -> u64 {
    const MASKS: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const SHIFTS: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (interleaved, interleaved >> 1);
    for i in 0..6 {
        x = (x | (x >> SHIFTS[i])) & MASKS[i];
        y = (y | (y >> SHIFTS[i])) & MASKS[i];
    }
    x | (y << 32)
}

/// Encodes a point over the given coordinate ranges (`geohashEncode`); `None` outside the limits.
fn encode(
    long_range: Interval,
    lat_range: Interval,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Bits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    Some(Bits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Encodes a WGS-84 point at `step` bits per coordinate.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The 52-bit score of a point (`geohashAlign52Bits` of the 26-step hash).
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(align52)
}

/// Shifts a hash to the 52-bit score scale.
pub fn align52(hash: Bits) -> u64 {
    hash.bits << (52 - u32::from(hash.step) * 2)
}

fn decode(long_range: Interval, lat_range: Interval, hash: Bits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let separated = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = separated as u32;
    let ilono = (separated >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    // `+ 1` wraps in 32 bits as Valkey's unsigned arithmetic does.
    Some(Area {
        latitude: Interval {
            min: lat_range.min + (f64::from(ilato) / cells) * lat_scale,
            max: lat_range.min + (f64::from(ilato.wrapping_add(1)) / cells) * lat_scale,
        },
        longitude: Interval {
            min: long_range.min + (f64::from(ilono) / cells) * long_scale,
            max: long_range.min + (f64::from(ilono.wrapping_add(1)) / cells) * long_scale,
        },
    })
}

/// The box of a WGS-84 hash.
pub fn decode_wgs84(hash: Bits) -> Option<Area> {
    decode(WGS84_LONG, WGS84_LAT, hash)
}

/// The centre of a box, clamped to the valid coordinates.
fn area_center(area: &Area) -> [f64; 2] {
    let longitude = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [longitude, latitude]
}

/// C's `(long long)` conversion of a double on x86-64 (`cvttsd2si`): NaN and out-of-range values give
/// `i64::MIN`.
pub fn c_double_to_i64(value: f64) -> i64 {
    const TWO_63: f64 = 9223372036854775808.0;
    if value.is_nan() || !(-TWO_63..TWO_63).contains(&value) {
        i64::MIN
    } else {
        value as i64
    }
}

/// C's `(uint64_t)` conversion of a double as GCC compiles it for x86-64.
pub fn c_double_to_u64(value: f64) -> u64 {
    const TWO_63: f64 = 9223372036854775808.0;
    if value >= TWO_63 {
        (c_double_to_i64(value - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(value) as u64
    }
}

/// Decodes a stored score into (longitude, latitude) like Valkey's `decodeGeohash`.
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let hash = Bits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode_wgs84(hash).map(|area| area_center(&area))
}

/// The standard 11-character geohash text of a stored score (re-encoded over ±90° latitude).
pub fn geohash_text(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [longitude, latitude] = decode_score(score)?;
    let hash = encode(
        WGS84_LONG,
        Interval {
            min: -90.0,
            max: 90.0,
        },
        longitude,
        latitude,
        26,
    )
    .unwrap_or_default();
    let mut text = [b'0'; 11];
    for (i, out) in text.iter_mut().enumerate().take(10) {
        let index = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *out = ALPHABET[index as usize];
    }
    Some(text)
}

fn move_x(hash: &mut Bits, direction: i8) {
    if direction == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let zz = 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    if direction > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }
    x &= 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

fn move_y(hash: &mut Bits, direction: i8) {
    if direction == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let zz = 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    if direction > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

fn moved(hash: Bits, dx: i8, dy: i8) -> Bits {
    let mut neighbour = hash;
    move_x(&mut neighbour, dx);
    move_y(&mut neighbour, dy);
    neighbour
}

/// The kind of area a search covers.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeKind {
    /// A circle of this radius (in the shape's unit).
    Circle(f64),
    /// An axis-aligned rectangle (width, height in the shape's unit).
    Rectangle(f64, f64),
    /// A polygon given by its vertices (longitude, latitude); distances are from its centroid.
    Polygon(Vec<[f64; 2]>),
}

/// A search area: its centre (for a polygon, its centroid, set by [`search_boxes`]), the factor that
/// converts its unit to metres, and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Centre (longitude, latitude).
    pub center: [f64; 2],
    /// Metres per unit.
    pub conversion: f64,
    /// The area.
    pub kind: ShapeKind,
}

/// The hash box of the centre and its eight neighbours (zeroed when useless), in the order Valkey
/// searches them: centre, N, S, E, W, NE, NW, SE, SW.
pub fn search_boxes(shape: &mut Shape) -> [Bits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.center;
    let radius_meters = match &shape.kind {
        ShapeKind::Circle(radius) => radius * shape.conversion,
        ShapeKind::Rectangle(width, height) => {
            (width / 2.0 * (width / 2.0) + height / 2.0 * (height / 2.0)).sqrt() * shape.conversion
        }
        ShapeKind::Polygon(_) => {
            let corners = [
                distance(longitude, latitude, min_lon, max_lat),
                distance(longitude, latitude, max_lon, max_lat),
                distance(longitude, latitude, min_lon, min_lat),
                distance(longitude, latitude, max_lon, min_lat),
            ];
            let mut radius = corners[0];
            for corner in &corners[1..] {
                if *corner > radius {
                    radius = *corner;
                }
            }
            radius * shape.conversion
        }
    };
    let mut steps = estimate_steps(radius_meters, latitude);
    let mut hash = encode_wgs84(longitude, latitude, steps).unwrap_or(Bits {
        bits: 0,
        step: steps,
    });
    let mut neighbours = neighbours_of(hash);
    let mut area = decode_wgs84(hash).unwrap_or_default();
    let decrease = {
        let box_of = |bits: Bits| decode_wgs84(bits).unwrap_or_default();
        let (north, south) = (box_of(neighbours[0]), box_of(neighbours[1]));
        let (east, west) = (box_of(neighbours[2]), box_of(neighbours[3]));
        north.latitude.max < max_lat
            || south.latitude.min > min_lat
            || east.longitude.max < max_lon
            || west.longitude.min > min_lon
    };
    if steps > 1 && decrease {
        steps -= 1;
        hash = encode_wgs84(longitude, latitude, steps).unwrap_or(Bits {
            bits: 0,
            step: steps,
        });
        neighbours = neighbours_of(hash);
        area = decode_wgs84(hash).unwrap_or_default();
    }
    // Neighbour order: N, S, E, W, NE, NW, SE, SW.
    if steps >= 2 {
        let mut drop = |indexes: [usize; 3]| {
            for i in indexes {
                neighbours[i] = Bits::default();
            }
        };
        if area.latitude.min < min_lat {
            drop([1, 7, 6]);
        }
        if area.latitude.max > max_lat {
            drop([0, 4, 5]);
        }
        if area.longitude.min < min_lon {
            drop([3, 7, 5]);
        }
        if area.longitude.max > max_lon {
            drop([2, 6, 4]);
        }
    }
    let mut boxes = [Bits::default(); 9];
    boxes[0] = hash;
    boxes[1..].copy_from_slice(&neighbours);
    boxes
}

/// N, S, E, W, NE, NW, SE, SW.
fn neighbours_of(hash: Bits) -> [Bits; 8] {
    [
        moved(hash, 0, 1),
        moved(hash, 0, -1),
        moved(hash, 1, 0),
        moved(hash, -1, 0),
        moved(hash, 1, 1),
        moved(hash, -1, 1),
        moved(hash, 1, -1),
        moved(hash, -1, -1),
    ]
}

/// Valkey's `geohashEstimateStepsByRadius`.
fn estimate_steps(range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The bounding box (min lon, min lat, max lon, max lat) of a shape; for a polygon it also sets the
/// shape's centre to the spherical centroid of its vertices.
fn bounding_box(shape: &mut Shape) -> [f64; 4] {
    let (half_height, half_width) = match &shape.kind {
        ShapeKind::Circle(radius) => (shape.conversion * radius, shape.conversion * radius),
        ShapeKind::Rectangle(width, height) => (
            shape.conversion * height / 2.0,
            shape.conversion * width / 2.0,
        ),
        ShapeKind::Polygon(points) => {
            let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
            let (mut min_lon, mut max_lon) = (LONG_MAX, LONG_MIN);
            let (mut min_lat, mut max_lat) = (LAT_MAX, LAT_MIN);
            for &[longitude, latitude] in points {
                if longitude < min_lon {
                    min_lon = longitude;
                }
                if longitude > max_lon {
                    max_lon = longitude;
                }
                if latitude < min_lat {
                    min_lat = latitude;
                }
                if latitude > max_lat {
                    max_lat = latitude;
                }
                let (lon_rad, lat_rad) = (deg_rad(longitude), deg_rad(latitude));
                x += lat_rad.cos() * lon_rad.cos();
                y += lat_rad.cos() * lon_rad.sin();
                z += lat_rad.sin();
            }
            let central_lon = y.atan2(x);
            let central_hyp = (x * x + y * y).sqrt();
            let central_lat = z.atan2(central_hyp);
            shape.center = [rad_deg(central_lon), rad_deg(central_lat)];
            return [min_lon, min_lat, max_lon, max_lat];
        }
    };
    let [longitude, latitude] = shape.center;
    let lat_delta = rad_deg(half_height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(half_width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(half_width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    let long_delta = if latitude < 0.0 {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        longitude - long_delta,
        latitude - lat_delta,
        longitude + long_delta,
        latitude + lat_delta,
    ]
}

/// Distance along a meridian.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine great-circle distance in metres (`geohashGetDistance`).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Practically the same longitude: the distance is along the meridian.
    if v.abs() <= 1e-15 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The distance from the shape's centre to `point` (in metres) when the point is inside the shape.
pub fn distance_if_within(shape: &Shape, point: [f64; 2]) -> Option<f64> {
    let [x1, y1] = shape.center;
    let [x2, y2] = point;
    match &shape.kind {
        ShapeKind::Circle(radius) => {
            let d = distance(x1, y1, x2, y2);
            (d <= radius * shape.conversion || d.is_nan()).then_some(d)
        }
        ShapeKind::Rectangle(width, height) => {
            let (width_m, height_m) = (width * shape.conversion, height * shape.conversion);
            if lat_distance(y2, y1) > height_m / 2.0 {
                return None;
            }
            if distance(x2, y2, x1, y2) > width_m / 2.0 {
                return None;
            }
            Some(distance(x1, y1, x2, y2))
        }
        ShapeKind::Polygon(vertices) => {
            let mut inside = false;
            let count = vertices.len();
            for i in 0..count {
                let a = vertices[i];
                let b = vertices[(i + count - 1) % count];
                if (a[1] > y2) != (b[1] > y2)
                    && x2 < (b[0] - a[0]) * (y2 - a[1]) / (b[1] - a[1]) + a[0]
                {
                    inside = !inside;
                }
            }
            inside.then(|| distance(x1, y1, x2, y2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let separated = deinterleave64(interleave64(x, y));
            assert_eq!(separated as u32, x);
            assert_eq!((separated >> 32) as u32, y);
        }
    }

    #[test]
    fn scores_match_valkey() {
        // GEOADD g 13.361389 38.115556 Palermo / 15.087269 37.502669 Catania on Valkey 9.1.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(200.0, 0.0), None);
        let [lon, lat] = decode_score(3479099956230698.0).unwrap_or_default();
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(
            &geohash_text(3479099956230698.0).unwrap_or_default(),
            b"sqc8b49rny0"
        );
        let d = distance(
            13.361389338970184,
            38.1155563954963,
            15.087267458438873,
            37.50266842333162,
        );
        assert_eq!(format!("{d:.4}"), "166274.1516");
    }

    #[test]
    fn double_conversions_follow_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(1e300), 0);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(9007199254740992.0), 1 << 53);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(-2.5), -2);
    }
}
