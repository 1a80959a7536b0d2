//! One dependency as a manifest declares it, and one manifest's dependencies: what every
//! parser returns and the comparison reads.

use std::collections::BTreeMap;

/// One dependency as a manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Where it is declared (`dependencies`, `target.'cfg(unix)'.dependencies`, `require`, …).
    pub(crate) section: String,
    pub(crate) name: String,
    /// The version or range asked for; empty when none.
    pub(crate) version: String,
    /// Where it comes from when not the default registry (`git …`, `path …`, a URL).
    pub(crate) source: String,
}

impl Spec {
    pub(crate) fn new(section: &str, name: &str, version: &str, source: &str) -> Spec {
        Spec {
            section: section.to_string(),
            name: name.to_string(),
            version: version.to_string(),
            source: source.to_string(),
        }
    }
}

/// Dependencies of one manifest, keyed by section and name.
pub(crate) type Entries = BTreeMap<(String, String), Spec>;

pub(crate) fn insert(entries: &mut Entries, spec: Spec) {
    entries.insert((spec.section.clone(), spec.name.clone()), spec);
}
