//! What a router matched, kept in the request ([`RouteSlot`]), and read
//! back by [`Request::param`](crate::Request::param),
//! [`Request::params`](crate::Request::params) and
//! [`Request::route_path`](crate::Request::route_path).
//!
//! A router stores what it matched through `&Request` (the server hands
//! every handler a shared reference, and a route's closure reads what its
//! router found), level by level: a mount, then the router under it. Each
//! level is set once, so what a handler borrows is never changed under it;
//! `Request::clear` empties the slot for the next request (the server reuses
//! one request per connection). A static route without a mount stores
//! nothing.
//!
//! ## Without allocation, lock or reference count
//! The common levels, the first two (a mount and the router under it) with
//! at most [`INLINE_PARAMS`] values that needed no decoding, are integers
//! in atomics: a state claimed by one compare-and-swap (which is what makes
//! a level set once), the prefix, the values as ranges of the target (which
//! cannot change while the request is borrowed), and which of the request's
//! known names are the route's. The known names ([`RouteSlot::names`]) are
//! routes' own `Arc`s, kept across requests: the first request to a route
//! on a connection puts its names there (one [`OnceLock`] set, one
//! reference count more), and every later one finds them by pointer, so
//! the route's reference count, which every worker shares, is not written
//! per request.
//!
//! Any other level (a decoded value, more values, names that found no
//! room, a third level) goes to a chain of [`OnceLock`]s, the first inline
//! in the request and deeper ones boxed, and so does every level after it,
//! to keep their order; `clear` then gives the names of a level that took a
//! compact place to the chain the place of the oldest known ones, so that
//! the route finds room on the connection's next request.
//!
//! Callgrind, a one-parameter route of a 50-route table through the
//! server's request path (`bench/micro/callgrind_router.sh`): this layout
//! and the router's cutting of values took what routing adds from 1,273
//! instructions and 2 allocations a request to under 800 and none; most of
//! the rest is matchit's walk of the tree.

// Only the router stores anything here.
#![cfg_attr(not(feature = "router"), allow(dead_code))]

use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// How many parameter values a level holds without allocating.
pub(crate) const INLINE_PARAMS: usize = 4;

/// How many routes' names a request keeps across requests.
const KNOWN_NAMES: usize = 4;

/// A route's parameter names, in pattern order, as the route keeps them.
pub(crate) type Names = Arc<[Box<str>]>;

/// What a router matched: see the [module](self).
#[derive(Debug, Default)]
pub(crate) struct RouteSlot {
    /// Names of routes matched on this request before, kept by `clear`:
    /// a compact level refers to one of them by index.
    names: [OnceLock<Names>; KNOWN_NAMES],
    /// Where `clear` puts the names of a route that found no room.
    evict: usize,
    /// The first levels (a mount and the router under it), while they fit
    /// in integers.
    compact: [Compact; COMPACT_LEVELS],
    /// The levels after the compact ones, outermost first.
    chain: OnceLock<RouteLevel>,
}

/// How many levels can be compact.
const COMPACT_LEVELS: usize = 2;

/// A level as integers; valid when `state` is [`SET`].
#[derive(Debug, Default)]
struct Compact {
    state: AtomicU8,
    prefix: AtomicUsize,
    /// 1 + the index in [`RouteSlot::names`], or 0 without names.
    names: AtomicU8,
    len: AtomicU8,
    /// The values' ranges of the target, [packed](pack).
    ranges: [AtomicU64; INLINE_PARAMS],
}

/// [`Compact::state`]: nothing stored yet.
const FREE: u8 = 0;
/// Being written.
const WRITING: u8 = 1;
/// Written: a level (the compact ones before it are too).
const SET: u8 = 2;
/// The level in this place did not fit: it and every later one are the
/// chain's.
const CHAIN: u8 = 3;

/// One level of routing, as the chain keeps it.
#[derive(Clone, Debug)]
struct RouteLevel {
    prefix: usize,
    names: Option<Names>,
    values: ParamValues,
    next: OnceLock<Box<RouteLevel>>,
}

/// A level's parameter values as a router finds them, in order: ranges of
/// the target, inline (and without drop code), while every value is one
/// and there are at most [`INLINE_PARAMS`]; else all of them in `all`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParamValues {
    len: u8,
    ranges: [u64; INLINE_PARAMS],
    all: Vec<ParamValue>,
}

/// A parameter's value: a range of the target when it needed no decoding,
/// else the decoded text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParamValue {
    Raw(Range<u32>),
    Decoded(Box<str>),
}

/// A level's parameters as read back: the names, and the values in order.
#[derive(Debug)]
pub(crate) struct Level<'a> {
    pub(crate) names: &'a [Box<str>],
    values: LevelValues<'a>,
}

#[derive(Debug)]
enum LevelValues<'a> {
    /// Packed ranges (the compact level's, or a chain level's own).
    Ranges(usize, [u64; INLINE_PARAMS]),
    All(&'a [ParamValue]),
}

/// One value as read back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ValueRef<'a> {
    Raw(Range<u32>),
    Decoded(&'a str),
}

/// A range as one integer, `start << 32 | end`.
fn pack(range: &Range<u32>) -> u64 {
    u64::from(range.start) << 32 | u64::from(range.end)
}

fn unpack(packed: u64) -> Range<u32> {
    (packed >> 32) as u32..packed as u32
}

impl RouteSlot {
    /// Appends a level below the innermost one: `prefix` bytes of `path()`
    /// consumed, this level included, and the route's `names` (as many as
    /// `values`).
    #[inline]
    pub(crate) fn push(&self, prefix: usize, names: Option<&Names>, values: ParamValues) {
        if let (true, Some(index)) = (values.all.is_empty(), self.index(names)) {
            for compact in &self.compact {
                let state = &compact.state;
                match state.compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => {
                        compact.prefix.store(prefix, Ordering::Relaxed);
                        compact.names.store(index, Ordering::Relaxed);
                        compact.len.store(values.len, Ordering::Relaxed);
                        for (slot, &range) in compact.ranges.iter().zip(&values.ranges) {
                            slot.store(range, Ordering::Relaxed);
                        }
                        state.store(SET, Ordering::Release);
                        return;
                    }
                    Err(SET) => {}
                    Err(_) => break,
                }
            }
        }
        self.push_chain(prefix, names, values);
    }

    /// Appends a level to the chain.
    #[cold]
    fn push_chain(&self, prefix: usize, names: Option<&Names>, values: ParamValues) {
        // The first place not set is the chain's from now on, so that no
        // later level goes before this one.
        for compact in &self.compact {
            let state = &compact.state;
            match state.compare_exchange(FREE, CHAIN, Ordering::Acquire, Ordering::Relaxed) {
                Err(SET) => {}
                _ => break,
            }
        }
        let level = RouteLevel {
            prefix,
            names: names.cloned(),
            values,
            next: OnceLock::new(),
        };
        let Err(level) = self.chain.set(level) else {
            return;
        };
        let mut level = Box::new(level);
        let mut above = self.chain.get();
        // A level set meanwhile (the request routed on two threads at once)
        // is walked past, never replaced: nothing borrowed changes.
        while let Some(parent) = above {
            match parent.next.set(level) {
                Ok(()) => return,
                Err(back) => level = back,
            }
            above = parent.next.get().map(|b| &**b);
        }
    }

    /// 1 + where `names` are in [`RouteSlot::names`] (put there if there is
    /// room), 0 for none; `None` when there is no room.
    fn index(&self, names: Option<&Names>) -> Option<u8> {
        let Some(names) = names else {
            return Some(0);
        };
        for (i, slot) in (1..).zip(&self.names) {
            let known = slot.get_or_init(|| Arc::clone(names));
            if Arc::ptr_eq(known, names) {
                return Some(i);
            }
        }
        None
    }

    /// Every level, outermost first.
    pub(crate) fn levels(&self) -> impl Iterator<Item = Level<'_>> {
        let chain = std::iter::successors(self.chain.get(), |level| level.next.get().map(|b| &**b))
            .map(|level| Level {
                names: level.names.as_deref().unwrap_or_default(),
                values: level.values.read(),
            });
        let compact = self.compact.iter().map_while(|c| self.read(c));
        compact.chain(chain)
    }

    /// A compact level, if it is set.
    fn read<'a>(&'a self, compact: &Compact) -> Option<Level<'a>> {
        if compact.state.load(Ordering::Acquire) != SET {
            return None;
        }
        let names = match compact.names.load(Ordering::Relaxed) {
            0 => None,
            i => self.names.get(usize::from(i) - 1).and_then(OnceLock::get),
        };
        let len = usize::from(compact.len.load(Ordering::Relaxed));
        let ranges = compact.ranges.each_ref().map(|r| r.load(Ordering::Relaxed));
        Some(Level {
            names: names.map_or(&[], |n| &**n),
            values: LevelValues::Ranges(len, ranges),
        })
    }

    /// How many levels are compact.
    #[cfg(test)]
    pub(crate) fn compact_levels(&self) -> usize {
        let set = |c: &&Compact| c.state.load(Ordering::Acquire) == SET;
        self.compact.iter().take_while(set).count()
    }

    /// The innermost level, if any.
    #[cfg(test)]
    pub(crate) fn last(&self) -> Option<Level<'_>> {
        self.levels().last()
    }

    /// The innermost level's prefix, if there is a level (what a router
    /// asks of every request, so it is cheap when there is none).
    pub(crate) fn prefix(&self) -> Option<usize> {
        let Some(mut level) = self.chain.get() else {
            let set = |c: &&Compact| c.state.load(Ordering::Acquire) == SET;
            let last = self.compact.iter().take_while(set).last()?;
            return Some(last.prefix.load(Ordering::Relaxed));
        };
        while let Some(next) = level.next.get() {
            level = next;
        }
        Some(level.prefix)
    }

    /// Empties the slot for the next request, keeping the names it knows;
    /// the names of a level that took a compact place to the chain (they
    /// found no room) take the place of the oldest (nothing to do after a
    /// static route).
    pub(crate) fn clear(&mut self) {
        let mut took_a_place = false;
        for compact in &mut self.compact {
            let state = compact.state.get_mut();
            took_a_place |= *state == CHAIN;
            *state = FREE;
        }
        let Some(head) = self.chain.take() else {
            return;
        };
        if let (true, Some(names)) = (took_a_place, head.names) {
            let known = |slot: &OnceLock<Names>| slot.get().is_some_and(|n| Arc::ptr_eq(n, &names));
            if !self.names.iter().any(known) {
                self.names[self.evict] = OnceLock::from(names);
                self.evict = (self.evict + 1) % KNOWN_NAMES;
            }
        }
    }
}

impl Clone for RouteSlot {
    fn clone(&self) -> RouteSlot {
        let load = |a: &AtomicU64| AtomicU64::new(a.load(Ordering::Relaxed));
        RouteSlot {
            names: self.names.clone(),
            evict: self.evict,
            compact: self.compact.each_ref().map(|compact| Compact {
                state: AtomicU8::new(compact.state.load(Ordering::Acquire)),
                prefix: AtomicUsize::new(compact.prefix.load(Ordering::Relaxed)),
                names: AtomicU8::new(compact.names.load(Ordering::Relaxed)),
                len: AtomicU8::new(compact.len.load(Ordering::Relaxed)),
                ranges: compact.ranges.each_ref().map(load),
            }),
            chain: self.chain.clone(),
        }
    }
}

impl<'a> Level<'a> {
    /// `(name, value)` of each parameter, in pattern order.
    pub(crate) fn into_params(self) -> impl Iterator<Item = (&'a str, ValueRef<'a>)> {
        let (ranges, all) = match self.values {
            LevelValues::Ranges(len, ranges) => (Some(ranges.into_iter().take(len)), None),
            LevelValues::All(all) => (None, Some(all)),
        };
        let all = all.into_iter().flatten().map(|value| match value {
            ParamValue::Raw(range) => ValueRef::Raw(range.clone()),
            ParamValue::Decoded(text) => ValueRef::Decoded(text),
        });
        let ranges = ranges
            .into_iter()
            .flatten()
            .map(|r| ValueRef::Raw(unpack(r)));
        self.names.iter().map(|name| &**name).zip(ranges.chain(all))
    }

    /// Whether the level is the compact one or has only ranges.
    #[cfg(test)]
    pub(crate) fn is_ranges(&self) -> bool {
        matches!(self.values, LevelValues::Ranges(..))
    }
}

impl<'a> ValueRef<'a> {
    /// The value's text, `target` being the request's.
    pub(crate) fn text(self, target: &'a str) -> &'a str {
        match self {
            ValueRef::Raw(range) => target
                .get(range.start as usize..range.end as usize)
                .unwrap_or(""),
            ValueRef::Decoded(text) => text,
        }
    }
}

impl ParamValues {
    /// Appends a value.
    #[inline]
    pub(crate) fn push(&mut self, value: ParamValue) {
        if self.all.is_empty() {
            if let (ParamValue::Raw(range), Some(slot)) =
                (&value, self.ranges.get_mut(usize::from(self.len)))
            {
                *slot = pack(range);
                self.len += 1;
                return;
            }
            let ranges = self.ranges[..usize::from(self.len)].iter();
            self.all.reserve(2 * INLINE_PARAMS);
            self.all.extend(ranges.map(|&r| ParamValue::Raw(unpack(r))));
        }
        self.all.push(value);
    }

    /// The values as read back.
    fn read(&self) -> LevelValues<'_> {
        if self.all.is_empty() {
            LevelValues::Ranges(usize::from(self.len), self.ranges)
        } else {
            LevelValues::All(&self.all)
        }
    }
}

#[cfg(test)]
mod tests;
