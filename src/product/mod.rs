//! The product tools the work queue comes from (Asana, ClickUp): read the "ready to build"
//! features, and write status back when a feature's milestone is complete. The link between a
//! feature and its milestone is a marker in the milestone description; nothing else is stored.

pub(crate) mod asana;
pub(crate) mod clickup;
mod feature;
mod http;
pub(crate) mod pull;

use anyhow::Context as _;

pub use asana::AsanaClient;
pub(crate) use clickup::ClickUpClient;
pub(crate) use feature::Feature;

use crate::config::{Product, ProductPriorities};
use crate::notify::{HookFuture, ProductHook};
use crate::plan_file::marker;

/// The configured product tool.
#[derive(Debug, Clone)]
pub enum ProductTool {
    Asana(AsanaClient),
    ClickUp(ClickUpClient),
}

impl ProductTool {
    /// The tool the config names, with its token and base URL from the environment; `None`
    /// when no tool is configured.
    pub fn from_config(
        product: &Product,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<ProductTool>> {
        let token = |name: &str| {
            env(name).with_context(|| format!("{name} is not set (the product tool's token)"))
        };
        if let Some(c) = &product.clickup {
            let base = env("CLICKUP_API_URL").unwrap_or_else(|| clickup::DEFAULT_URL.into());
            let client = ClickUpClient::new(&base, &token(&c.token_env)?, c.clone())?;
            return Ok(Some(ProductTool::ClickUp(client)));
        }
        if let Some(a) = &product.asana {
            let base = env("ASANA_API_URL").unwrap_or_else(|| asana::DEFAULT_URL.into());
            let client = AsanaClient::new(&base, &token(&a.token_env)?, a.clone())?;
            return Ok(Some(ProductTool::Asana(client)));
        }
        Ok(None)
    }

    /// `asana` or `clickup`: the tool part of a milestone's feature marker.
    pub(crate) fn tool(&self) -> &'static str {
        match self {
            ProductTool::Asana(_) => "asana",
            ProductTool::ClickUp(_) => "clickup",
        }
    }

    /// Which of the tool's priorities rank a feature's issues `critical` or `high-priority`.
    pub(crate) fn priorities(&self) -> &ProductPriorities {
        match self {
            ProductTool::Asana(a) => a.priorities(),
            ProductTool::ClickUp(c) => c.priorities(),
        }
    }

    /// The features in the ready queue, each with its stories.
    pub(crate) async fn ready(&self) -> anyhow::Result<Vec<Feature>> {
        let mut features = match self {
            ProductTool::Asana(a) => a.ready().await?,
            ProductTool::ClickUp(c) => c.ready().await?,
        };
        features.retain(|f| {
            let ok = marker::is_id(&f.id);
            if !ok {
                tracing::warn!("skipping a feature with an unusable id {:?}", f.id);
            }
            ok
        });
        Ok(features)
    }

    /// Marks a feature done and comments with a link to its milestone.
    pub(crate) async fn complete(&self, id: &str, title: &str, url: &str) -> anyhow::Result<()> {
        let comment = completion_comment(title, url);
        match self {
            ProductTool::Asana(a) => a.complete(id, &comment).await,
            ProductTool::ClickUp(c) => c.complete(id, &comment).await,
        }
    }
}

/// The comment a feature gets when its milestone closes.
pub(crate) fn completion_comment(title: &str, url: &str) -> String {
    let title: String = title
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    format!("shiprig: the GitHub milestone \"{title}\" is complete: {url}")
}

impl ProductHook for ProductTool {
    fn name(&self) -> &str {
        self.tool()
    }

    fn milestone_complete<'a>(
        &'a self,
        title: &'a str,
        url: &'a str,
        description: &'a str,
    ) -> HookFuture<'a> {
        Box::pin(async move {
            match marker::feature_of(description) {
                Some((tool, id)) if tool == self.tool() => self.complete(&id, title, url).await,
                _ => Ok(()),
            }
        })
    }
}
