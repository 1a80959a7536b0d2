//! Which repositories a loop can afford: when an installation's remaining rate limit cannot
//! cover what its repositories' last ticks cost, the quietest are deferred to a later loop,
//! never a repository a webhook delivery named.

/// One repository as the budget sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Rate-limit points its last tick spent (an unchanged repository costs 0: every read a 304).
    pub(crate) cost: u64,
    /// Loops since its last tick changed anything (0: the last one did).
    pub(crate) quiet_loops: u64,
    /// A delivery named it since its last tick.
    pub(crate) prompted: bool,
}

/// Points kept back from every loop, for the prompt ticks and writes between loops.
pub const RESERVE: u64 = 100;

/// The indices of `candidates` to defer so the rest fit in `remaining` points (less the
/// reserve): quietest first, the costliest first among equally quiet ones, never a prompted one
/// and never the last one left (a loop always ticks something, so the reading of what remains
/// stays fresh after GitHub's hourly reset). Nothing is deferred when GitHub has not said what
/// remains.
pub(crate) fn deferred(candidates: &[Candidate], remaining: Option<u64>) -> Vec<usize> {
    let Some(remaining) = remaining else {
        return Vec::new();
    };
    let available = remaining.saturating_sub(RESERVE);
    let mut total: u64 = candidates.iter().map(|c| c.cost).sum();
    if total <= available {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| !candidates[i].prompted && candidates[i].cost > 0)
        .collect();
    order.sort_by_key(|&i| {
        let c = &candidates[i];
        (
            std::cmp::Reverse(c.quiet_loops),
            std::cmp::Reverse(c.cost),
            i,
        )
    });
    if order.len() == candidates.len() {
        order.pop();
    }
    let mut out = Vec::new();
    for i in order {
        if total <= available {
            break;
        }
        total -= candidates[i].cost;
        out.push(i);
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(cost: u64, quiet_loops: u64, prompted: bool) -> Candidate {
        Candidate {
            cost,
            quiet_loops,
            prompted,
        }
    }

    #[test]
    fn nothing_is_deferred_while_the_budget_covers_the_loop() {
        let all = [c(3, 0, false), c(3, 9, false)];
        assert!(deferred(&all, Some(RESERVE + 6)).is_empty());
        assert!(deferred(&all, None).is_empty());
    }

    #[test]
    fn the_quietest_go_first_and_a_prompted_repository_never() {
        let all = [
            c(5, 0, false),
            c(5, 7, true),
            c(5, 3, false),
            c(5, 9, false),
            c(0, 20, false),
        ];
        assert_eq!(deferred(&all, Some(RESERVE + 10)), vec![2, 3]);
        assert_eq!(
            deferred(&all, Some(0)),
            vec![0, 2, 3],
            "the prompted one stays"
        );
    }

    #[test]
    fn a_loop_always_ticks_at_least_one_repository() {
        let all = [c(5, 0, false), c(5, 3, false)];
        assert_eq!(deferred(&all, Some(0)), vec![1]);
    }
}
