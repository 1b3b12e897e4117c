//! Pointer-sized, byte-aligned owning handles for a stored hash, so [`super::Hash`] takes 9 bytes and
//! fits beside `Value`'s tag (a `Value` stays 16 bytes) and a small hash costs a single allocation:
//! its listpack, exactly sized, whose own header records its length (as Valkey keeps a listpack
//! behind its object).

use std::ptr::NonNull;

use ferry_rdb::listpack::HEADER_SIZE;

use super::fields::FieldTable;

/// The total size a listpack's header states.
fn stated_len(bytes: &[u8]) -> Option<usize> {
    let header: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    Some(u32::from_le_bytes(header) as usize)
}

/// A listpack's bytes behind one unaligned pointer.
///
/// Invariant: `ptr` comes from leaking a `Box<[u8]>` of at least `HEADER_SIZE` bytes whose first four
/// bytes state its exact length; the bytes are never modified while held, so the length can always
/// be read back to rebuild (and free) the box.
#[repr(C, packed)]
pub struct ListpackBlob {
    ptr: NonNull<u8>,
}

impl ListpackBlob {
    /// Moves listpack bytes into a blob (the allocation shrinks to fit). Gives them back if their
    /// header does not state their exact length.
    pub fn new(bytes: Vec<u8>) -> Result<Self, Vec<u8>> {
        if bytes.len() < HEADER_SIZE || stated_len(&bytes) != Some(bytes.len()) {
            return Err(bytes);
        }
        let leaked: &mut [u8] = Box::leak(bytes.into_boxed_slice());
        Ok(Self {
            ptr: NonNull::from(leaked).cast::<u8>(),
        })
    }

    fn len(&self) -> usize {
        let ptr = self.ptr;
        // SAFETY: by the invariant the allocation holds at least `HEADER_SIZE` initialised bytes and
        // lives as long as `self`.
        let header = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), HEADER_SIZE) };
        // The header was checked by `new` and never changes, so this always states the length.
        stated_len(header).unwrap_or(HEADER_SIZE)
    }

    /// The listpack bytes.
    pub fn as_slice(&self) -> &[u8] {
        let ptr = self.ptr;
        let len = self.len();
        // SAFETY: by the invariant `ptr` points to `len` initialised bytes owned by `self`; the
        // borrow is tied to `&self` and nothing writes to them.
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len) }
    }

    /// Gives the bytes back as a vector, without copying.
    pub fn into_vec(self) -> Vec<u8> {
        let ptr = self.ptr;
        let len = self.len();
        std::mem::forget(self);
        // SAFETY: by the invariant this rebuilds exactly the box `new` leaked; `self` is forgotten,
        // so it is not freed twice.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)) }.into_vec()
    }
}

impl Drop for ListpackBlob {
    fn drop(&mut self) {
        let ptr = self.ptr;
        let len = self.len();
        // SAFETY: by the invariant this is the box `new` leaked, rebuilt once and dropped.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)) });
    }
}

/// A hash table behind one unaligned pointer.
///
/// Invariant: `ptr` comes from `Box::leak` and is owned by this handle.
#[repr(C, packed)]
pub struct TableBox {
    ptr: NonNull<FieldTable>,
}

impl TableBox {
    /// Takes ownership of `table`.
    pub fn new(table: Box<FieldTable>) -> Self {
        Self {
            ptr: NonNull::from(Box::leak(table)),
        }
    }

    /// The table.
    pub fn get(&self) -> &FieldTable {
        let ptr = self.ptr;
        // SAFETY: by the invariant the pointer is a live, aligned box owned by `self`; the borrow is
        // tied to `&self`.
        unsafe { ptr.as_ref() }
    }

    /// The table, for modification in place.
    pub fn get_mut(&mut self) -> &mut FieldTable {
        let mut ptr = self.ptr;
        // SAFETY: by the invariant the pointer is a live, aligned box owned by `self`; the exclusive
        // borrow is tied to `&mut self`.
        unsafe { ptr.as_mut() }
    }

    /// Gives the box back.
    pub fn into_box(self) -> Box<FieldTable> {
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: by the invariant this is the box `new` leaked; `self` is forgotten, so it is not
        // freed twice.
        unsafe { Box::from_raw(ptr.as_ptr()) }
    }
}

impl Drop for TableBox {
    fn drop(&mut self) {
        let ptr = self.ptr;
        // SAFETY: by the invariant this is the box `new` leaked, rebuilt once and dropped.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

#[cfg(test)]
mod tests {
    use ferry_rdb::listpack::Listpack;

    use super::*;

    #[test]
    fn blobs_round_trip_and_reject_inconsistent_headers() {
        let mut lp = Listpack::new();
        lp.push_back(b"field");
        lp.push_back(b"42");
        let bytes = lp.into_bytes();
        let blob = ListpackBlob::new(bytes.clone());
        assert!(blob.is_ok());
        if let Ok(blob) = blob {
            assert_eq!(blob.as_slice(), &bytes[..]);
            assert_eq!(blob.into_vec(), bytes);
        }
        assert!(ListpackBlob::new(vec![1, 2]).is_err());
        assert!(ListpackBlob::new(vec![9, 0, 0, 0, 0, 0, 255]).is_err());
        assert_eq!(std::mem::size_of::<ListpackBlob>(), 8);
        assert_eq!(std::mem::align_of::<ListpackBlob>(), 1);
        assert_eq!(std::mem::align_of::<TableBox>(), 1);
    }

    #[test]
    fn tables_round_trip() {
        let mut table = FieldTable::new();
        table.insert(b"a", b"1", None);
        let boxed = TableBox::new(Box::new(table));
        assert_eq!(boxed.get().len(), 1);
        assert_eq!(boxed.into_box().len(), 1);
    }
}
