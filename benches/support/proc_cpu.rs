//! CPU time (user + system) as Linux's `/proc/.../stat` counts it, for the benches that time a
//! thread or a child process.

use std::time::Duration;

/// The user + system time in a `stat` file (`/proc/thread-self/stat`, `/proc/PID/stat`), at
/// the kernel's 100 ticks a second; zero when it cannot be read.
pub fn cpu_in(stat_path: &str) -> Duration {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
