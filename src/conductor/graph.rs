//! Dependency cycles: strongly connected components over the blocker edges that were read.

use std::collections::{BTreeMap, BTreeSet};

use super::snapshot::Snapshot;

/// The blocked issues whose blocker lists are not read yet: the ones whose edges a milestone's
/// graph, or whose blockers the status page, would miss.
pub(crate) fn wanted(snapshot: &Snapshot) -> Vec<u64> {
    snapshot
        .issues
        .values()
        .filter(|i| i.open_blockers > 0 && !snapshot.blockers.contains_key(&i.number))
        .map(|i| i.number)
        .collect()
}

/// Every issue that sits on a cycle (a component of two or more, or an issue blocking itself),
/// each mapped to the sorted members of its cycle. Deterministic for any input order.
pub(crate) fn cycles(edges: &BTreeMap<u64, Vec<u64>>) -> BTreeMap<u64, Vec<u64>> {
    let mut tarjan = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for &node in edges.keys() {
        if !tarjan.index.contains_key(&node) {
            tarjan.visit(node);
        }
    }
    let mut result = BTreeMap::new();
    for mut component in tarjan.found {
        component.sort_unstable();
        let self_loop = component.len() == 1
            && edges
                .get(&component[0])
                .is_some_and(|to| to.contains(&component[0]));
        if component.len() > 1 || self_loop {
            for &member in &component {
                result.insert(member, component.clone());
            }
        }
    }
    result
}

struct Tarjan<'a> {
    edges: &'a BTreeMap<u64, Vec<u64>>,
    index: BTreeMap<u64, usize>,
    low: BTreeMap<u64, usize>,
    stack: Vec<u64>,
    on_stack: BTreeSet<u64>,
    next: usize,
    found: Vec<Vec<u64>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, node: u64) {
        self.index.insert(node, self.next);
        self.low.insert(node, self.next);
        self.next += 1;
        self.stack.push(node);
        self.on_stack.insert(node);
        for &to in self.edges.get(&node).map(Vec::as_slice).unwrap_or_default() {
            if !self.index.contains_key(&to) {
                self.visit(to);
                let low = self.low[&node].min(self.low[&to]);
                self.low.insert(node, low);
            } else if self.on_stack.contains(&to) {
                let low = self.low[&node].min(self.index[&to]);
                self.low.insert(node, low);
            }
        }
        if self.low[&node] == self.index[&node] {
            let mut component = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack.remove(&member);
                component.push(member);
                if member == node {
                    break;
                }
            }
            self.found.push(component);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
