//! `shiprig::conductor::graph`, through its public API.

use shiprig::conductor::graph::*;
use std::collections::BTreeMap;

fn graph(pairs: &[(u64, u64)]) -> BTreeMap<u64, Vec<u64>> {
    let mut edges: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for &(from, to) in pairs {
        edges.entry(from).or_default().push(to);
    }
    edges
}

#[test]
fn finds_cycles_and_self_loops_only() {
    let found = cycles(&graph(&[(1, 2), (2, 3), (3, 1), (4, 1), (5, 5), (6, 7)]));
    assert_eq!(found.get(&1), Some(&vec![1, 2, 3]));
    assert_eq!(found.get(&3), Some(&vec![1, 2, 3]));
    assert_eq!(found.get(&5), Some(&vec![5]));
    assert!(!found.contains_key(&4) && !found.contains_key(&6));
}
