//! A milestone's dependency graph as inline SVG, laid out by the server: each issue in the
//! column of its longest chain of blockers, an arrow from every blocker to what it blocks.
//! Works without JavaScript; every title is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::text::{esc, href, truncate};
use super::view::MilestoneView;

const WIDTH: u32 = 210;
const HEIGHT: u32 = 34;
const COLUMN_GAP: u32 = 70;
const ROW_GAP: u32 = 14;
const MARGIN: u32 = 8;

/// Each issue's column: the length of its longest chain of blockers inside the milestone
/// (a cycle stops growing after as many rounds as there are issues).
pub(crate) fn columns(milestone: &MilestoneView) -> BTreeMap<u64, u32> {
    let mut column: BTreeMap<u64, u32> = milestone
        .nodes
        .iter()
        .map(|n| (n.issue.number, 0))
        .collect();
    for _ in 0..milestone.nodes.len() {
        let mut changed = false;
        for &(from, to) in &milestone.edges {
            let next = column.get(&from).copied().unwrap_or(0) + 1;
            if let Some(at) = column.get_mut(&to)
                && *at < next
                && next <= milestone.nodes.len() as u32
            {
                *at = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    column
}

/// The graph as an `<svg>` element.
pub(crate) fn graph(milestone: &MilestoneView) -> String {
    let column = columns(milestone);
    let mut rows: BTreeMap<u32, u32> = BTreeMap::new();
    let mut at: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
    for node in &milestone.nodes {
        let c = column.get(&node.issue.number).copied().unwrap_or(0);
        let r = rows.entry(c).or_insert(0);
        let x = MARGIN + c * (WIDTH + COLUMN_GAP);
        let y = MARGIN + *r * (HEIGHT + ROW_GAP);
        *r += 1;
        at.insert(node.issue.number, (x, y));
    }
    let columns = rows.len().max(1) as u32;
    let tallest = rows.values().copied().max().unwrap_or(1).max(1);
    let width = 2 * MARGIN + columns * WIDTH + (columns - 1) * COLUMN_GAP;
    let height = 2 * MARGIN + tallest * HEIGHT + (tallest - 1) * ROW_GAP;
    let mut out = String::with_capacity(256 + milestone.nodes.len() * 400);
    let _ = write!(
        out,
        "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"dependency graph of {}\">",
        esc(&milestone.title)
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#475569\"/>\
         </marker></defs>",
    );
    for &(from, to) in &milestone.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(&from), at.get(&to)) else {
            continue;
        };
        let (sx, sy) = (x1 + WIDTH, y1 + HEIGHT / 2);
        let (ex, ey) = (x2, y2 + HEIGHT / 2);
        let bend = (COLUMN_GAP / 2) as i64;
        let _ = write!(
            out,
            "<path class=\"edge\" data-from=\"{from}\" data-to=\"{to}\" d=\"M{sx} {sy}C{} {sy} {} {ey} {ex} {ey}\" \
             fill=\"none\" stroke=\"#475569\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>#{from} blocks #{to}</title></path>",
            sx as i64 + bend,
            ex as i64 - bend,
        );
    }
    for node in &milestone.nodes {
        let (x, y) = at[&node.issue.number];
        let n = node.issue.number;
        let _ = write!(
            out,
            "<a href=\"{}\"><g class=\"node {}\" data-issue=\"{n}\"><title>#{n} {}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" rx=\"6\"/>\
             <text x=\"{}\" y=\"{}\">#{n} {}</text></g></a>",
            href(&node.issue.url),
            esc(&node.class),
            esc(&node.issue.title),
            x + 8,
            y + HEIGHT / 2 + 4,
            esc(&truncate(&node.issue.title, 24)),
        );
    }
    out.push_str("</svg>");
    out
}
