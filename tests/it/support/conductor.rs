//! Conductor fixtures the tests share with the `conductor_tick` bench, which includes this file
//! by path: five agents dispatched through Actions, and a deterministic pseudo-random sequence.

/// Five agents on GitHub Actions; a maintainer's approval is needed.
pub const FIVE_AGENTS: &str = r#"version: 1
approvers: {min_permission: maintain}
conductor:
  agents: [{name: a1}, {name: a2}, {name: a3}, {name: a4}, {name: a5}]
  dispatch:
    github_actions: {workflow: shiprig-agent.yml, ref: main}
"#;

/// A deterministic pseudo-random sequence (no extra crate needed for a fixture).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}
