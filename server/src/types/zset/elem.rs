//! One sorted-set element of the large encoding: a single allocation holding the score and the member
//! bytes side by side, behind a thin pointer. The order tree owns every element; the member index only
//! keeps [`ElemRef`]s to them, so each member is stored once.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cmp::Ordering;
use std::ptr::NonNull;

/// Offset of the length byte, right after the score.
const LEN_OFFSET: usize = std::mem::size_of::<f64>();
/// Length byte meaning "a 4-byte length follows".
const LONG_MEMBER: u8 = u8::MAX;

/// An owned element: `f64` score, a length byte (plus a `u32` length for members of 255 bytes or
/// more), then the member bytes.
pub struct Elem {
    ptr: NonNull<u8>,
}

/// A copy of an element's address, valid for as long as the owning [`Elem`] lives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ElemRef {
    ptr: NonNull<u8>,
}

fn layout(member_len: usize) -> Layout {
    let header = LEN_OFFSET
        + 1
        + if member_len >= usize::from(LONG_MEMBER) {
            4
        } else {
            0
        };
    match Layout::from_size_align(header + member_len, std::mem::align_of::<f64>()) {
        Ok(layout) => layout,
        Err(_) => handle_alloc_error(Layout::new::<f64>()),
    }
}

/// Where the member bytes start and how many there are, read from the header at `raw`.
///
/// # Safety
/// `raw` must point to a live element allocation made by [`Elem::new`].
unsafe fn member_bounds(raw: *const u8) -> (usize, usize) {
    // SAFETY: the caller guarantees the header was written by `Elem::new`.
    unsafe {
        let short = *raw.add(LEN_OFFSET);
        if short == LONG_MEMBER {
            let len = std::ptr::read_unaligned(raw.add(LEN_OFFSET + 1).cast::<u32>()) as usize;
            (LEN_OFFSET + 5, len)
        } else {
            (LEN_OFFSET + 1, usize::from(short))
        }
    }
}

impl Elem {
    /// A new element.
    pub fn new(member: &[u8], score: f64) -> Elem {
        let layout = layout(member.len());
        // SAFETY: the layout is non-empty and aligned for f64; every write stays inside it: the score at
        // offset 0, the length byte(s) after it, then exactly `member.len()` bytes.
        unsafe {
            let raw = alloc(layout);
            let Some(ptr) = NonNull::new(raw) else {
                handle_alloc_error(layout)
            };
            std::ptr::write(raw.cast::<f64>(), score);
            let mut member_at = LEN_OFFSET + 1;
            if member.len() >= usize::from(LONG_MEMBER) {
                *raw.add(LEN_OFFSET) = LONG_MEMBER;
                std::ptr::write_unaligned(raw.add(member_at).cast::<u32>(), member.len() as u32);
                member_at += 4;
            } else {
                *raw.add(LEN_OFFSET) = member.len() as u8;
            }
            std::ptr::copy_nonoverlapping(member.as_ptr(), raw.add(member_at), member.len());
            Elem { ptr }
        }
    }

    /// The score.
    pub fn score(&self) -> f64 {
        // SAFETY: `self` owns a live allocation with the score at offset 0.
        unsafe { std::ptr::read(self.ptr.as_ptr().cast::<f64>()) }
    }

    /// Changes the score (the caller keeps the order tree consistent).
    pub fn set_score(&mut self, score: f64) {
        // SAFETY: as in `score`; `&mut self` gives exclusive access.
        unsafe { std::ptr::write(self.ptr.as_ptr().cast::<f64>(), score) }
    }

    /// The member bytes.
    pub fn member(&self) -> &[u8] {
        // SAFETY: `self` owns the allocation; `new` wrote the header and the member bytes.
        unsafe {
            let (offset, len) = member_bounds(self.ptr.as_ptr());
            std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len)
        }
    }

    /// A non-owning copy of the address.
    pub fn as_ref(&self) -> ElemRef {
        ElemRef { ptr: self.ptr }
    }

    /// The sorted-set order: by score, then by member bytes (`-0` and `0` are the same score).
    pub fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        compare(self.score(), self.member(), score, member)
    }
}

/// Orders two (score, member) pairs the way Valkey's skiplist does.
pub fn compare(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    match score_a.partial_cmp(&score_b) {
        Some(Ordering::Equal) | None => member_a.cmp(member_b),
        Some(order) => order,
    }
}

impl Clone for Elem {
    fn clone(&self) -> Elem {
        Elem::new(self.member(), self.score())
    }
}

impl Drop for Elem {
    fn drop(&mut self) {
        // SAFETY: the element owns its allocation, made by `new` with this layout; it is freed once.
        unsafe {
            let (_, len) = member_bounds(self.ptr.as_ptr());
            dealloc(self.ptr.as_ptr(), layout(len));
        }
    }
}

impl std::fmt::Debug for Elem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "({:?}, {})",
            String::from_utf8_lossy(self.member()),
            self.score()
        )
    }
}

impl ElemRef {
    /// The member bytes.
    ///
    /// # Safety
    /// The [`Elem`] this was taken from must still be alive, and must outlive the returned slice.
    pub unsafe fn member<'a>(self) -> &'a [u8] {
        // SAFETY: the caller guarantees the element is alive for 'a.
        unsafe {
            let (offset, len) = member_bounds(self.ptr.as_ptr());
            std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len)
        }
    }

    /// The score.
    ///
    /// # Safety
    /// The [`Elem`] this was taken from must still be alive.
    pub unsafe fn score(self) -> f64 {
        // SAFETY: the caller guarantees the element is alive.
        unsafe { std::ptr::read(self.ptr.as_ptr().cast::<f64>()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_members_round_trip() {
        for len in [0usize, 1, 10, 254, 255, 256, 70_000] {
            let member: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut elem = Elem::new(&member, -2.5);
            assert_eq!(elem.member(), &member[..]);
            assert_eq!(elem.score(), -2.5);
            elem.set_score(7.0);
            let copy = elem.clone();
            assert_eq!(copy.member(), &member[..]);
            assert_eq!(copy.score(), 7.0);
            let view = elem.as_ref();
            // SAFETY: `elem` is alive for the whole block.
            unsafe {
                assert_eq!(view.member(), &member[..]);
                assert_eq!(view.score(), 7.0);
            }
        }
    }

    #[test]
    fn order_is_score_then_member_with_signed_zeros_equal() {
        assert_eq!(compare(1.0, b"b", 2.0, b"a"), Ordering::Less);
        assert_eq!(compare(1.0, b"b", 1.0, b"a"), Ordering::Greater);
        assert_eq!(compare(-0.0, b"a", 0.0, b"b"), Ordering::Less);
        assert_eq!(compare(0.0, b"a", -0.0, b"a"), Ordering::Equal);
        assert_eq!(compare(1.0, b"ab", 1.0, b"a"), Ordering::Greater);
    }
}
