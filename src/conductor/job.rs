//! The Conductor as one Actions job runs it (`shiprig conductor tick`): the tick with its
//! agents and product tool built from the config, and the "critical issue filed" message when
//! the job was started by that issue.

use super::{Tick, TickReport, explain, read_graph, tick};
use crate::agents::Backend;
use crate::context::{self, Ctx, Vars};
use crate::notify::ProductHook;

/// Reads, decides, and (unless `dry_run`) acts; `with_graph` also reads what the job summary's
/// dependency graph needs.
pub async fn run(
    ctx: &Ctx,
    vars: &Vars,
    dry_run: bool,
    with_graph: bool,
) -> anyhow::Result<TickReport> {
    let product = context::product_hook(&ctx.config, vars);
    let backend = Backend::from_config(&ctx.config, vars.kubeconfig().as_deref()).await?;
    let job = Tick {
        gh: &ctx.gh,
        repo: &ctx.repo,
        config: &ctx.config,
        notifier: &ctx.notifier,
        product: product.as_ref().map(|p| p as &dyn ProductHook),
        backend: Some(&backend),
    };
    let event = vars.event()?;
    let event_name = vars.get("GITHUB_EVENT_NAME").unwrap_or_default();
    let repo = ctx.repo.to_string();
    if !dry_run
        && let Some(filed) =
            crate::notify::critical::filed(&event_name, &event, &ctx.config.labels, &repo)
    {
        ctx.notifier.tell(filed).await;
    }
    let mut report = tick(&job, ctx.gh.clock().now(), dry_run).await?;
    if with_graph {
        read_graph(&job, &mut report).await?;
    }
    Ok(report)
}

/// `shiprig conductor explain ISSUE`: the tick's plan, read-only, told for one issue.
pub async fn explain_issue(
    ctx: &Ctx,
    vars: &Vars,
    issue: u64,
) -> anyhow::Result<explain::Explanation> {
    let backend = Backend::from_config(&ctx.config, vars.kubeconfig().as_deref()).await?;
    let job = Tick {
        gh: &ctx.gh,
        repo: &ctx.repo,
        config: &ctx.config,
        notifier: &ctx.notifier,
        product: None,
        backend: Some(&backend),
    };
    let (_, explained) = super::explain(&job, issue, ctx.gh.clock().now()).await?;
    Ok(explained)
}
