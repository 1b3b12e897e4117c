//! Pointer-sized, byte-aligned owning handles for a collection's heap data. `Value` must stay 16
//! bytes and a small collection should cost one allocation, like Valkey's intset or listpack behind
//! its object. So the compact encodings live in an exact-size byte allocation whose own header
//! records its length ([`Blob`], no separate length field), and the large encodings in a box behind
//! an unaligned pointer ([`PackedBox`]); both are byte-aligned so an enum of them fits beside
//! `Value`'s tag without growing it. Sets, lists, hashes and sorted sets use them.

use std::marker::PhantomData;
use std::ptr::NonNull;

/// A byte format whose header records the total size of the encoded value.
pub trait SelfSized {
    /// Bytes needed to read the size.
    const HEADER: usize;
    /// The total size stated by `header` (`HEADER` bytes), if readable.
    fn total_len(header: &[u8]) -> Option<usize>;
}

/// Intset bytes: `8 + width × count`.
pub struct IntsetFormat;

impl SelfSized for IntsetFormat {
    const HEADER: usize = ferry_rdb::intset::HEADER_SIZE;

    fn total_len(header: &[u8]) -> Option<usize> {
        ferry_rdb::intset::blob_len(header)
    }
}

/// Listpack bytes: the total size is the first u32.
pub struct ListpackFormat;

impl SelfSized for ListpackFormat {
    const HEADER: usize = ferry_rdb::listpack::HEADER_SIZE;

    fn total_len(header: &[u8]) -> Option<usize> {
        let raw = header.get(..4)?;
        Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as usize)
    }
}

/// An immutable, exact-size heap copy of bytes in format `F`, held by a single unaligned pointer.
///
/// Invariant: `ptr` comes from `Box<[u8]>::into_raw` of a slice of `F::total_len(header)` bytes, at
/// least `F::HEADER` long, and the bytes are never modified, so the length can always be recomputed
/// from the header to rebuild (and free) the box.
#[repr(C, packed)]
pub struct Blob<F: SelfSized> {
    ptr: NonNull<u8>,
    format: PhantomData<F>,
}

impl<F: SelfSized> Blob<F> {
    /// Moves `bytes` into a blob (shrinking the allocation to fit). Gives the bytes back when their
    /// header does not state their exact size.
    pub fn new(bytes: Vec<u8>) -> Result<Self, Vec<u8>> {
        let consistent =
            bytes.len() >= F::HEADER && F::total_len(&bytes[..F::HEADER]) == Some(bytes.len());
        if !consistent {
            return Err(bytes);
        }
        Ok(Self {
            ptr: NonNull::from(Box::leak(bytes.into_boxed_slice())).cast::<u8>(),
            format: PhantomData,
        })
    }

    fn len(&self) -> usize {
        let ptr = self.ptr;
        // SAFETY: by the invariant the allocation holds at least `F::HEADER` initialised bytes and
        // lives as long as `self`.
        let header = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), F::HEADER) };
        // The header was checked in `new` and is never modified, so this cannot fail.
        F::total_len(header).unwrap_or(F::HEADER)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        let ptr = self.ptr;
        let len = self.len();
        // SAFETY: by the invariant `ptr` points to `len` initialised bytes owned by `self`; the
        // borrow is tied to `&self`, and nothing mutates them.
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len) }
    }

    /// Gives the bytes back as a vector, without copying.
    pub fn into_vec(self) -> Vec<u8> {
        let ptr = self.ptr;
        let len = self.len();
        std::mem::forget(self);
        // SAFETY: by the invariant this rebuilds exactly the box `new` released; `self` was
        // forgotten, so it is not freed twice.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)) }.into_vec()
    }
}

impl<F: SelfSized> Drop for Blob<F> {
    fn drop(&mut self) {
        let ptr = self.ptr;
        let len = self.len();
        // SAFETY: by the invariant this is the box `new` released, rebuilt once and dropped.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)) });
    }
}

impl<F: SelfSized> Clone for Blob<F> {
    fn clone(&self) -> Self {
        match Self::new(self.as_slice().to_vec()) {
            Ok(blob) => blob,
            // The copy has the same (consistent) header as the original.
            Err(_) => unreachable!("a blob's header states its size"),
        }
    }
}

/// An owned `Box<T>` held through an unaligned pointer.
///
/// Invariant: `ptr` comes from `Box::leak` and is owned by this handle.
#[repr(C, packed)]
pub struct PackedBox<T> {
    ptr: NonNull<T>,
}

impl<T> PackedBox<T> {
    /// Takes ownership of `value`.
    pub fn new(value: Box<T>) -> Self {
        Self {
            ptr: NonNull::from(Box::leak(value)),
        }
    }

    /// The value.
    pub fn get(&self) -> &T {
        let ptr = self.ptr;
        // SAFETY: by the invariant the pointer is a live, aligned box owned by `self`; the shared
        // borrow is tied to `&self`.
        unsafe { ptr.as_ref() }
    }

    /// The value, for modification in place.
    pub fn get_mut(&mut self) -> &mut T {
        let mut ptr = self.ptr;
        // SAFETY: by the invariant the pointer is a live, aligned box owned by `self`; the exclusive
        // borrow is tied to `&mut self`.
        unsafe { ptr.as_mut() }
    }

    /// Gives the box back.
    pub fn into_box(self) -> Box<T> {
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: by the invariant this is the box `new` leaked; `self` was forgotten, so it is not
        // freed twice.
        unsafe { Box::from_raw(ptr.as_ptr()) }
    }
}

impl<T> Drop for PackedBox<T> {
    fn drop(&mut self) {
        let ptr = self.ptr;
        // SAFETY: by the invariant this is the box `new` leaked, rebuilt once and dropped.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

impl<T: Clone> Clone for PackedBox<T> {
    fn clone(&self) -> Self {
        Self::new(Box::new(self.get().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_reject_inconsistent_headers() {
        let mut lp = ferry_rdb::listpack::Listpack::new();
        lp.push_back(b"hello");
        lp.push_back(b"42");
        let bytes = lp.into_bytes();
        let blob = Blob::<ListpackFormat>::new(bytes.clone()).unwrap_or_else(|_| panic!());
        assert_eq!(blob.as_slice(), &bytes[..]);
        let copy = blob.clone();
        assert_eq!(copy.into_vec(), bytes);
        assert_eq!(std::mem::size_of::<Blob<ListpackFormat>>(), 8);
        assert_eq!(std::mem::align_of::<Blob<ListpackFormat>>(), 1);

        let mut intset = ferry_rdb::intset::Intset::new();
        intset.insert(7);
        let blob =
            Blob::<IntsetFormat>::new(intset.as_bytes().to_vec()).unwrap_or_else(|_| panic!());
        assert_eq!(blob.as_slice(), intset.as_bytes());

        assert!(Blob::<IntsetFormat>::new(vec![2, 0, 0, 0, 5, 0, 0, 0]).is_err());
        assert!(Blob::<ListpackFormat>::new(vec![1, 2]).is_err());
    }

    #[test]
    fn boxes_round_trip_unaligned() {
        let mut boxed = PackedBox::new(Box::new(vec![1u64, 2]));
        boxed.get_mut().push(3);
        assert_eq!(boxed.get(), &vec![1, 2, 3]);
        let copy = boxed.clone();
        assert_eq!(*boxed.into_box(), vec![1, 2, 3]);
        assert_eq!(copy.get().len(), 3);
        assert_eq!(std::mem::size_of::<PackedBox<Vec<u64>>>(), 8);
        assert_eq!(std::mem::align_of::<PackedBox<Vec<u64>>>(), 1);
    }
}
