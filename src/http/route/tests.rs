//! The compact levels, the chain, the known names and their eviction.

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
    assert_eq!(slot.compact_levels(), 1);
    assert_eq!(read(&slot, target), "id=42");
    assert_eq!(slot.prefix(), Some(0));
    // The route's names and the request's known ones.
    assert_eq!(Arc::strong_count(&route), 2);
    slot.clear();
    assert_eq!((read(&slot, target), slot.prefix()), (String::new(), None));
    for _ in 0..3 {
        slot.push(0, Some(&route), values([ParamValue::Raw(7..9)]));
        assert_eq!(slot.compact_levels(), 1);
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
    assert_eq!(slot.compact_levels(), 0, "none after a chain's level");
    assert_eq!(read(&slot, target), "x=a b;y=c");
    assert_eq!(slot.prefix(), Some(9));
    slot.clear();

    let many: Vec<_> = (0..6).map(|i| format!("p{i}")).collect();
    let many = names(&many.iter().map(String::as_str).collect::<Vec<_>>());
    let six = values((0..6).map(|i| ParamValue::Raw(i..i + 1)));
    slot.push(0, Some(&many), six);
    assert_eq!(slot.compact_levels(), 0);
    assert_eq!(read(&slot, "abcdef"), "p0=a,p1=b,p2=c,p3=d,p4=e,p5=f");
    assert!(!slot.last().unwrap().is_ranges());

    // Two compact levels (a mount and the router under it), then the
    // chain, or the chain after one that does not fit.
    for second in [ParamValue::Raw(7..8), ParamValue::Decoded("c".into())] {
        slot.clear();
        slot.push(4, None, ParamValues::default());
        slot.push(6, Some(&inner), values([second.clone()]));
        slot.push(8, Some(&outer), values([ParamValue::Raw(9..10)]));
        let compact = if second == ParamValue::Raw(7..8) {
            2
        } else {
            1
        };
        assert_eq!(slot.compact_levels(), compact);
        assert_eq!(
            (read(&slot, target), slot.prefix()),
            (";y=c;x=d".into(), Some(8))
        );
    }
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
        slot.compact_levels() == 1
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
