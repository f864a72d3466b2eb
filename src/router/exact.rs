//! The exact-path table: the patterns without a parameter, looked up by
//! the path's bytes before matchit's tree is walked.
//!
//! A path is in the table only if it is, byte for byte, a pattern without
//! parameters (`{{` and `}}` read as braces) for which matchit's tree
//! answers that same pattern (checked when the router is built), so the
//! table never answers other than the tree would; every other path goes to
//! the tree. Callgrind (`bench/micro/callgrind_router.sh`): a static route
//! of a 50-route table costs about a third of the tree walk this way.
//!
//! Open addressing with linear probing in a power-of-two table at most a
//! quarter full, so that most paths that are in no slot (the tree's, the
//! misses) stop at the first, empty, slot. The hash reads the length and
//! at most 16 bytes (the first and last eight), so a long path costs no
//! more than a short one; paths a hash confuses are told apart by the
//! comparison, and how far a lookup probes depends only on the table, not
//! on the request.

/// Static paths to their entry in the router's table.
#[derive(Debug)]
pub(super) struct Exact {
    /// `(path, entry)`, or `None` for an empty slot; a power of two long,
    /// with at least one empty slot (so a probe ends).
    slots: Box<[Slot]>,
    /// How far a hash is shifted right to be a slot's index: its top bits,
    /// the ones a multiplication mixes best.
    shift: u32,
    /// Bit `n % 64` set for every length `n` of a path in the table: most
    /// paths that are not in it are told so by their length alone.
    lengths: u64,
}

/// A path of the table and its entry, or `None`.
type Slot = Option<(Box<str>, usize)>;

impl Default for Exact {
    fn default() -> Exact {
        Exact::new(Vec::new())
    }
}

impl Exact {
    /// The table of `paths`, each with its entry (a path given twice keeps
    /// its first entry).
    pub(super) fn new(paths: Vec<(String, usize)>) -> Exact {
        let mut slots: Vec<Slot> = Vec::new();
        slots.resize_with((4 * paths.len()).next_power_of_two(), || None);
        let mask = slots.len() - 1;
        // (One slot: any shift below 64 gives index 0.)
        let shift = 64 - slots.len().trailing_zeros().max(1);
        let mut lengths = 0;
        'paths: for (path, entry) in paths {
            let mut i = (hash(path.as_bytes()) >> shift) as usize & mask;
            while let Some((known, _)) = &slots[i] {
                if **known == *path {
                    continue 'paths;
                }
                i = (i + 1) & mask;
            }
            lengths |= length_bit(&path);
            slots[i] = Some((path.into(), entry));
        }
        Exact {
            slots: slots.into(),
            shift,
            lengths,
        }
    }

    /// The entry of `path`, if it is one of the table's.
    #[allow(clippy::inline_always)] // measured: inlined, a static hit costs 12 fewer instructions
    #[inline(always)]
    pub(super) fn get(&self, path: &str) -> Option<usize> {
        if self.lengths & length_bit(path) == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (hash(path.as_bytes()) >> self.shift) as usize & mask;
        loop {
            let (known, entry) = self.slots.get(i)?.as_ref()?;
            if same(known.as_bytes(), path.as_bytes()) {
                return Some(*entry);
            }
            i = (i + 1) & mask;
        }
    }

    /// How many paths the table holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }
}

/// Whether `a` and `b` are the same bytes; up to 16 bytes long, by their
/// first and last eight (or four) bytes, without a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    match (a.first_chunk::<8>(), a.last_chunk::<8>()) {
        (Some(a_first), Some(a_last)) => {
            b.first_chunk::<8>() == Some(a_first) && b.last_chunk::<8>() == Some(a_last)
        }
        _ => match (a.first_chunk::<4>(), a.last_chunk::<4>()) {
            (Some(a_first), Some(a_last)) => {
                b.first_chunk::<4>() == Some(a_first) && b.last_chunk::<4>() == Some(a_last)
            }
            _ => a.iter().zip(b).all(|(x, y)| x == y),
        },
    }
}

/// The bit of `path`'s length in [`Exact::lengths`].
#[inline]
fn length_bit(path: &str) -> u64 {
    1 << (path.len() % 64)
}

/// A hash of the length and the first and last (up to) eight bytes of
/// `path`, whatever its length; its top bits depend on all of them.
#[inline]
fn hash(path: &[u8]) -> u64 {
    let len = path.len();
    let (a, b) = match (path.first_chunk::<8>(), path.last_chunk::<8>()) {
        (Some(a), Some(b)) => (u64::from_le_bytes(*a), u64::from_le_bytes(*b)),
        _ => match (path.first_chunk::<4>(), path.last_chunk::<4>()) {
            (Some(a), Some(b)) => (
                u64::from(u32::from_le_bytes(*a)),
                u64::from(u32::from_le_bytes(*b)),
            ),
            _ => match (path.first(), path.last()) {
                (Some(&a), Some(&b)) => {
                    (u64::from(a) << 8 | u64::from(path[len / 2]), u64::from(b))
                }
                _ => (0, 0),
            },
        },
    };
    (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b ^ len as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_path_and_no_other() {
        let paths: Vec<String> = (0..50)
            .flat_map(|i| [format!("/section{i}"), format!("/section{i}/about")])
            .chain(["/", "/a", "/ab", "/abc", "/abcd", "/abcdefg", "/abcdefgh"].map(String::from))
            .collect();
        let exact = Exact::new(paths.iter().cloned().zip(0..).collect());
        assert_eq!(exact.len(), paths.len());
        for (i, path) in paths.iter().enumerate() {
            assert_eq!(exact.get(path), Some(i), "{path}");
            for other in [format!("{path}/"), format!("x{path}"), path[1..].to_owned()] {
                if !paths.contains(&other) {
                    assert_eq!(exact.get(&other), None, "{other}");
                }
            }
        }
        assert_eq!(exact.get(""), None);
        assert_eq!(exact.get("/section7/abou"), None);
    }

    #[test]
    fn empty_and_repeated() {
        let empty = Exact::new(Vec::new());
        assert_eq!(empty.get("/"), None);
        assert_eq!(empty.get(""), None);
        let twice = Exact::new(vec![("/x".into(), 1), ("/x".into(), 2)]);
        assert_eq!(twice.len(), 1);
        assert_eq!(twice.get("/x"), Some(1));
    }

    #[test]
    fn same_is_slice_equality() {
        let texts = [
            "",
            "/",
            "/a",
            "/ab",
            "/abc",
            "/abcd",
            "/abcdefg",
            "/abcdefgh",
        ];
        let longer = [
            "/abcdefghijklmno",
            "/abcdefghijklmnop",
            "/abcdefghijklmnopq",
        ];
        let mut all: Vec<String> = texts
            .iter()
            .chain(&longer)
            .map(|t| (*t).to_owned())
            .collect();
        // Each with one byte changed, at every place.
        for text in texts.iter().chain(&longer) {
            for i in 0..text.len() {
                let mut changed = text.as_bytes().to_vec();
                changed[i] ^= 1;
                all.push(String::from_utf8(changed).unwrap());
            }
        }
        for a in &all {
            for b in &all {
                assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn colliding_paths_are_told_apart() {
        // Same length, same first and last eight bytes: the same hash.
        let paths = [
            "/aaaaaaa0bbbbbbbb",
            "/aaaaaaa1bbbbbbbb",
            "/aaaaaaa2bbbbbbbb",
        ];
        let exact = Exact::new(
            paths
                .iter()
                .zip(0..)
                .map(|(p, i)| ((*p).into(), i))
                .collect(),
        );
        for (i, path) in paths.iter().enumerate() {
            assert_eq!(hash(path.as_bytes()), hash(paths[0].as_bytes()));
            assert_eq!(exact.get(path), Some(i));
        }
        assert_eq!(exact.get("/aaaaaaaXbbbbbbbb"), None);
    }
}
