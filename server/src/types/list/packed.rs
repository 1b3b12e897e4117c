//! A box behind a byte-aligned pointer, so an enum of it and a [`Blob`](crate::types::set::thin::Blob)
//! stays 9 bytes with alignment 1 and fits beside `Value`'s tag (the quicklist counterpart of the set
//! module's `TableBox`).

use std::ptr::NonNull;

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
    fn boxes_round_trip_unaligned() {
        let boxed = PackedBox::new(Box::new(vec![1u64, 2, 3]));
        assert_eq!(boxed.get(), &vec![1, 2, 3]);
        let copy = boxed.clone();
        assert_eq!(*boxed.into_box(), vec![1, 2, 3]);
        assert_eq!(copy.get().len(), 3);
        assert_eq!(std::mem::size_of::<PackedBox<Vec<u64>>>(), 8);
        assert_eq!(std::mem::align_of::<PackedBox<Vec<u64>>>(), 1);
    }
}
