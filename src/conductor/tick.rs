//! What a tick acts with: the GitHub door, the repository, the configuration, where messages
//! go and where agents start.

use std::borrow::Cow;

use crate::agents::Backend;
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::{Notifier, ProductHook};

/// What a tick needs to act.
pub struct Tick<'a> {
    pub gh: &'a GitHub,
    pub repo: &'a Repo,
    pub config: &'a Config,
    pub notifier: &'a Notifier,
    pub product: Option<&'a dyn ProductHook>,
    /// Where agents start; `None` builds it from the config (every backend but Kubernetes,
    /// which needs a cluster connection made at the edge).
    pub backend: Option<&'a Backend>,
}

impl Tick<'_> {
    pub(crate) fn backend(&self) -> Cow<'_, Backend> {
        match self.backend {
            Some(backend) => Cow::Borrowed(backend),
            None => Cow::Owned(Backend::from_dispatch(&self.config.conductor.dispatch)),
        }
    }
}
