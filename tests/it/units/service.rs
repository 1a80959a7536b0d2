//! `shiprig::service`, through its public API.

use shiprig::service::*;
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn jitter_stays_within_a_tenth() {
    let interval = Duration::from_secs(60);
    let waits: BTreeSet<Duration> = (0..200).map(|seed| jittered(interval, seed)).collect();
    assert!(
        waits
            .iter()
            .all(|w| *w >= Duration::from_secs(54) && *w <= Duration::from_secs(66))
    );
    assert!(waits.len() > 50, "the waits spread out");
}
