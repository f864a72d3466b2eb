//! A request's in-memory body, which a response can send without a copy.
//!
//! The server decodes each request body of a connection into one buffer and
//! reuses it for the next request. [`Request::shared_body`] hands those bytes
//! to a [`Body`](super::Body) by reference count (an echo, a proxy, a body
//! kept past the handler): the response holds the buffer until its bytes are
//! written, and the connection's next body goes into a new buffer of the same
//! capacity (at most [`KEPT_CAPACITY`]) instead of the one still being sent.
//!
//! [`Request::shared_body`]: crate::Request::shared_body

use std::sync::Arc;

/// The most a replacement buffer starts with: the capacity a connection's
/// buffers keep between requests anyway (`proto`'s pooled capacity).
pub(crate) const KEPT_CAPACITY: usize = 64 * 1024;

/// The bytes, or `None` before the first body: a bodiless request allocates
/// nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedBuf(Option<Arc<Vec<u8>>>);

impl SharedBuf {
    pub(crate) fn from_vec(bytes: Vec<u8>) -> SharedBuf {
        if bytes.capacity() == 0 {
            SharedBuf(None)
        } else {
            SharedBuf(Some(Arc::new(bytes)))
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// The buffer to append to: this one, unless a response shares it, in
    /// which case the response keeps it and the body starts a new one.
    pub(crate) fn get_mut(&mut self) -> &mut Vec<u8> {
        if self
            .0
            .as_mut()
            .is_some_and(|arc| Arc::get_mut(arc).is_none())
        {
            self.0 = None;
        }
        // Unique (or new) now: `make_mut` does not copy.
        Arc::make_mut(self.0.get_or_insert_with(Arc::default))
    }

    /// Empties it for the next request, keeping the allocation when no
    /// response shares it; a shared one is left to the response, and a new
    /// one of the same capacity (at most [`KEPT_CAPACITY`]) takes its place.
    #[inline]
    pub(crate) fn clear(&mut self) {
        let Some(arc) = &mut self.0 else { return };
        if arc.is_empty() {
            return;
        }
        match Arc::get_mut(arc) {
            Some(bytes) => bytes.clear(),
            None => self.renew(),
        }
    }

    #[cold]
    fn renew(&mut self) {
        let capacity = self.0.as_ref().map_or(0, |arc| arc.capacity());
        *self = SharedBuf::from_vec(Vec::with_capacity(capacity.min(KEPT_CAPACITY)));
    }

    /// Lets go of capacity over `capacity` (nothing to do for a buffer a
    /// response holds: it is not this connection's any more once it is
    /// replaced).
    pub(crate) fn shrink_to(&mut self, capacity: usize) {
        if let Some(bytes) = self.0.as_mut().and_then(Arc::get_mut) {
            bytes.shrink_to(capacity);
        }
    }

    /// Another handle on the same bytes.
    pub(crate) fn share(&self) -> Option<Arc<Vec<u8>>> {
        self.0.clone()
    }

    /// The bytes as a `Vec`: moved out when nothing else shares them.
    #[cfg_attr(not(feature = "http"), allow(dead_code))] // for `interop`
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.0.map_or_else(Vec::new, Arc::unwrap_or_clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bodiless_buffer_allocates_nothing() {
        let mut buf = SharedBuf::default();
        buf.clear();
        assert!(buf.0.is_none() && buf.is_empty());
        assert!(SharedBuf::from_vec(Vec::new()).0.is_none());
    }

    #[test]
    fn an_unshared_buffer_is_reused() {
        let mut buf = SharedBuf::default();
        buf.get_mut().extend_from_slice(&[7; 100]);
        let at = buf.as_slice().as_ptr();
        buf.clear();
        assert!(buf.is_empty());
        buf.get_mut().extend_from_slice(b"next");
        assert_eq!(buf.as_slice(), b"next");
        assert_eq!(buf.as_slice().as_ptr(), at, "the same allocation");
    }

    #[test]
    fn a_shared_buffer_stays_with_its_holder() {
        let mut buf = SharedBuf::default();
        buf.get_mut().extend_from_slice(b"first body");
        let held = buf.share().unwrap();
        // Appending does not touch the held bytes...
        buf.get_mut().extend_from_slice(b"!");
        assert_eq!(held.as_slice(), b"first body");
        assert_eq!(buf.as_slice(), b"!");
        // ...nor does clearing for the next request.
        let held = buf.share().unwrap();
        buf.clear();
        assert!(buf.is_empty());
        assert_eq!(held.as_slice(), b"!");
        buf.get_mut().extend_from_slice(b"second");
        assert_eq!(held.as_slice(), b"!");
        assert_eq!(buf.as_slice(), b"second");
    }

    #[test]
    fn a_replacement_keeps_the_capacity_up_to_the_kept_one() {
        for (had, gets) in [(1000, 1000), (10 * KEPT_CAPACITY, KEPT_CAPACITY)] {
            let mut buf = SharedBuf::from_vec(Vec::with_capacity(had));
            buf.get_mut().push(1);
            let _held = buf.share();
            buf.clear();
            let capacity = buf.0.as_ref().map_or(0, |arc| arc.capacity());
            assert!(
                capacity >= gets && capacity < gets + 64,
                "{had}: {capacity}"
            );
        }
    }

    #[test]
    fn into_vec_moves_or_copies() {
        let mut buf = SharedBuf::default();
        buf.get_mut().extend_from_slice(b"abc");
        let held = buf.share().unwrap();
        assert_eq!(buf.clone().into_vec(), b"abc");
        drop(held);
        assert_eq!(buf.into_vec(), b"abc");
    }
}
