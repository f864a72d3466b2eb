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
//! The common level, the first with at most [`INLINE_PARAMS`] values that
//! needed no decoding, is integers in atomics: a state claimed by one
//! compare-and-swap (which is what makes it set once), the prefix, the
//! values as ranges of the target (which cannot change while the request
//! is borrowed), and which of the request's known names are the route's.
//! The known names ([`RouteSlot::names`]) are routes' own `Arc`s, kept
//! across requests: the first request to a route on a connection puts its
//! names there (one [`OnceLock`] set, one reference count more), and every
//! later one finds them by pointer, so the route's reference count, which
//! every worker shares, is not written per request.
//!
//! Any other level (a decoded value, more values, names that found no
//! room, the level under a mount) goes to a chain of [`OnceLock`]s, the
//! first inline in the request and deeper ones boxed; `clear` then gives
//! the names of such a first level the place of the oldest known ones, so
//! that the route finds room on the connection's next request.
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
    /// the compact level refers to one of them by index.
    names: [OnceLock<Names>; KNOWN_NAMES],
    /// Where `clear` puts the names of a route that found no room.
    evict: usize,
    /// The first level, when it fits in integers.
    compact: Compact,
    /// The levels that are not the compact one, outermost first.
    chain: OnceLock<RouteLevel>,
}

/// The first level as integers; valid when `state` is [`SET`].
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
/// Taken: being written, or the first level is the chain's.
const CLAIMED: u8 = 1;
/// The compact level is the first.
const SET: u8 = 2;

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
        let compact = &self.compact;
        if values.all.is_empty() {
            if let Some(index) = self.index(names) {
                if compact
                    .state
                    .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    compact.prefix.store(prefix, Ordering::Relaxed);
                    compact.names.store(index, Ordering::Relaxed);
                    compact.len.store(values.len, Ordering::Relaxed);
                    for (slot, &range) in compact.ranges.iter().zip(&values.ranges) {
                        slot.store(range, Ordering::Relaxed);
                    }
                    compact.state.store(SET, Ordering::Release);
                    return;
                }
            }
        }
        self.push_chain(prefix, names, values);
    }

    /// Appends a level that is not the compact one to the chain.
    #[cold]
    fn push_chain(&self, prefix: usize, names: Option<&Names>, values: ParamValues) {
        // So that no later level goes before this one, the compact level is
        // taken (if it is free, this is the first level).
        let free = (FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed);
        let _ = self
            .compact
            .state
            .compare_exchange(free.0, free.1, free.2, free.3);
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
        self.compact().into_iter().chain(chain)
    }

    /// The compact level, if it is the first.
    fn compact(&self) -> Option<Level<'_>> {
        let compact = &self.compact;
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

    /// Whether the first level is the compact one.
    #[cfg(test)]
    pub(crate) fn is_compact(&self) -> bool {
        self.compact().is_some()
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
            let set = self.compact.state.load(Ordering::Acquire) == SET;
            return set.then(|| self.compact.prefix.load(Ordering::Relaxed));
        };
        while let Some(next) = level.next.get() {
            level = next;
        }
        Some(level.prefix)
    }

    /// Empties the slot for the next request, keeping the names it knows;
    /// the names of a first level that found no room among them take the
    /// place of the oldest (nothing to do after a static route).
    pub(crate) fn clear(&mut self) {
        *self.compact.state.get_mut() = FREE;
        let Some(first) = self.chain.take() else {
            return;
        };
        if let Some(names) = first.names {
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
        let compact = &self.compact;
        let load = |a: &AtomicU64| AtomicU64::new(a.load(Ordering::Relaxed));
        RouteSlot {
            names: self.names.clone(),
            evict: self.evict,
            compact: Compact {
                state: AtomicU8::new(compact.state.load(Ordering::Acquire)),
                prefix: AtomicUsize::new(compact.prefix.load(Ordering::Relaxed)),
                names: AtomicU8::new(compact.names.load(Ordering::Relaxed)),
                len: AtomicU8::new(compact.len.load(Ordering::Relaxed)),
                ranges: compact.ranges.each_ref().map(load),
            },
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
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Names {
        names.iter().map(|&n| Box::from(n)).collect()
    }

    fn values(values: impl IntoIterator<Item = ParamValue>) -> ParamValues {
        let mut all = ParamValues::default();
        values.into_iter().for_each(|v| all.push(v));
        all
    }

    /// Every level's `name=value`s, `;` between levels.
    fn read(slot: &RouteSlot, target: &str) -> String {
        let levels = slot.levels().map(|level| {
            let params = level
                .into_params()
                .map(|(n, v)| format!("{n}={}", v.text(target)));
            params.collect::<Vec<_>>().join(",")
        });
        levels.collect::<Vec<_>>().join(";")
    }

    #[test]
    fn compact_level_keeps_known_names_across_requests() {
        let target = "/users/42";
        let route = names(&["id"]);
        let mut slot = RouteSlot::default();
        slot.push(0, Some(&route), values([ParamValue::Raw(7..9)]));
        assert!(slot.is_compact());
        assert_eq!(read(&slot, target), "id=42");
        assert_eq!(slot.prefix(), Some(0));
        // The route's names and the request's known ones.
        assert_eq!(Arc::strong_count(&route), 2);
        slot.clear();
        assert_eq!((read(&slot, target), slot.prefix()), (String::new(), None));
        for _ in 0..3 {
            slot.push(0, Some(&route), values([ParamValue::Raw(7..9)]));
            assert!(slot.is_compact());
            slot.clear();
        }
        assert_eq!(Arc::strong_count(&route), 2, "no count per request");
    }

    #[test]
    fn other_levels_go_to_the_chain_in_order() {
        let target = "/a%20b/c/d";
        let (outer, inner) = (names(&["x"]), names(&["y"]));
        let mut slot = RouteSlot::default();
        slot.push(7, Some(&outer), values([ParamValue::Decoded("a b".into())]));
        slot.push(9, Some(&inner), values([ParamValue::Raw(7..8)]));
        assert!(!slot.is_compact(), "a level after the chain's is not first");
        assert_eq!(read(&slot, target), "x=a b;y=c");
        assert_eq!(slot.prefix(), Some(9));
        slot.clear();

        let many: Vec<_> = (0..6).map(|i| format!("p{i}")).collect();
        let many = names(&many.iter().map(String::as_str).collect::<Vec<_>>());
        let six = values((0..6).map(|i| ParamValue::Raw(i..i + 1)));
        slot.push(0, Some(&many), six);
        assert!(!slot.is_compact());
        assert_eq!(read(&slot, "abcdef"), "p0=a,p1=b,p2=c,p3=d,p4=e,p5=f");
        assert!(!slot.last().unwrap().is_ranges());

        // A compact first level, then the chain below it.
        slot.clear();
        slot.push(4, None, ParamValues::default());
        slot.push(6, Some(&inner), values([ParamValue::Raw(7..8)]));
        assert!(slot.is_compact());
        assert_eq!(
            (read(&slot, target), slot.prefix()),
            (";y=c".into(), Some(6))
        );
    }

    #[test]
    fn names_without_room_take_the_oldest_place() {
        let routes: Vec<Names> = (0..=KNOWN_NAMES)
            .map(|i| names(&[&format!("n{i}")]))
            .collect();
        let mut slot = RouteSlot::default();
        let route = |slot: &mut RouteSlot, i: usize| {
            slot.clear();
            slot.push(0, Some(&routes[i]), values([ParamValue::Raw(0..1)]));
            slot.is_compact()
        };
        for i in 0..KNOWN_NAMES {
            assert!(route(&mut slot, i), "{i} finds room");
        }
        assert!(!route(&mut slot, KNOWN_NAMES), "no room left");
        assert_eq!(read(&slot, "v"), format!("n{KNOWN_NAMES}=v"));
        assert!(route(&mut slot, KNOWN_NAMES), "remembered by clear");
        assert!(!route(&mut slot, 0), "its place was taken");
        assert!(route(&mut slot, 0), "remembered in turn");
        assert!(!route(&mut slot, 1), "in place of the next oldest");
    }

    #[test]
    fn a_clone_keeps_what_was_matched() {
        fn shared<T: Send + Sync + Clone>(t: &T) -> T {
            t.clone()
        }
        let route = names(&["id"]);
        let slot = RouteSlot::default();
        slot.push(3, Some(&route), values([ParamValue::Raw(1..2)]));
        slot.push(5, None, ParamValues::default());
        let copy = shared(&slot);
        assert_eq!(read(&copy, "x7"), "id=7;");
        assert_eq!(copy.prefix(), Some(5));
    }
}
