//! Performing a plan: each effect in a crash-safe order (claim, verify, dispatch, notify).
//! Apply decides nothing the plan did not name; a failed effect is reported and the next
//! tick, reading GitHub afresh, converges.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use super::claim::{self, Claim};
use super::plan::{CYCLE_MARKER, Effect, Plan};
use crate::config::Config;
use crate::github::{GitHub, Repo};
use crate::notify::{Delivery, Event, Notifier, ProductHook};

/// What a tick needs to act.
pub struct Tick<'a> {
    pub gh: &'a GitHub,
    pub repo: &'a Repo,
    pub config: &'a Config,
    pub notifier: &'a Notifier,
    pub product: Option<&'a dyn ProductHook>,
}

/// What applying a plan did.
#[derive(Debug, Default, Serialize)]
pub struct Applied {
    pub done: Vec<Effect>,
    pub failed: Vec<Failed>,
    /// Starts given up because a concurrent tick claimed first.
    pub withdrawn: Vec<Withdrawn>,
    pub notified: Vec<Delivery>,
    pub product: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Failed {
    pub effect: Effect,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Withdrawn {
    pub issue: u64,
    pub agent: String,
    pub reason: String,
}

impl Applied {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

pub async fn apply(tick: &Tick<'_>, plan: &Plan) -> Applied {
    let mut applied = Applied::default();
    let mut effects: Vec<&Effect> = plan.effects.iter().collect();
    effects.sort_by_key(|e| phase(e));
    for effect in effects {
        match perform(tick, effect, &mut applied).await {
            Ok(()) => applied.done.push(effect.clone()),
            Err(error) => applied.failed.push(Failed {
                effect: effect.clone(),
                error: format!("{error:#}"),
            }),
        }
    }
    applied
}

/// Labels first (they gate what agents see), then claims, then milestones.
fn phase(effect: &Effect) -> u8 {
    match effect {
        Effect::AddLabel { .. } | Effect::RemoveLabel { .. } | Effect::Assign { .. } => 0,
        Effect::ReportCycle { .. } => 1,
        Effect::Start { .. } => 2,
        Effect::CloseMilestone { .. } => 3,
    }
}

async fn perform(tick: &Tick<'_>, effect: &Effect, applied: &mut Applied) -> anyhow::Result<()> {
    let (gh, repo) = (tick.gh, tick.repo);
    match effect {
        Effect::AddLabel { issue, label, .. } => Ok(gh
            .add_labels(repo, *issue, std::slice::from_ref(label))
            .await?),
        Effect::RemoveLabel { issue, label, .. } => {
            Ok(gh.remove_label(repo, *issue, label).await?)
        }
        Effect::Assign { issue, login } => Ok(gh
            .add_assignees(repo, *issue, std::slice::from_ref(login))
            .await?),
        Effect::ReportCycle { issue, cycle } => {
            gh.create_comment(repo, *issue, &cycle_comment(*issue, cycle))
                .await?;
            let event = Event::CycleFound {
                repo: repo.to_string(),
                issue: *issue,
                cycle: cycle.clone(),
            };
            applied.notified.extend(tick.notifier.tell(event).await);
            Ok(())
        }
        Effect::Start {
            issue,
            title,
            url,
            agent,
            login,
        } => {
            let start = Start {
                issue: *issue,
                agent,
                login: login.as_deref(),
            };
            match start.run(tick).await? {
                Some(reason) => {
                    applied.withdrawn.push(Withdrawn {
                        issue: *issue,
                        agent: agent.clone(),
                        reason,
                    });
                }
                None => {
                    let event = Event::AgentStarted {
                        repo: repo.to_string(),
                        issue: *issue,
                        title: title.clone(),
                        url: url.clone(),
                        agent: agent.clone(),
                    };
                    applied.notified.extend(tick.notifier.tell(event).await);
                }
            }
            Ok(())
        }
        Effect::CloseMilestone {
            number,
            title,
            url,
            description,
        } => {
            gh.close_milestone(repo, *number).await?;
            let event = Event::MilestoneComplete {
                repo: repo.to_string(),
                title: title.clone(),
                url: url.clone(),
            };
            applied.notified.extend(tick.notifier.tell(event).await);
            if let Some(product) = tick.product {
                let told = product.milestone_complete(title, url, description).await;
                applied.product.push(match told {
                    Ok(()) => format!("{}: milestone {title:?} complete", product.name()),
                    Err(e) => format!(
                        "{}: could not record milestone {title:?}: {e:#}",
                        product.name()
                    ),
                });
            }
            Ok(())
        }
    }
}

fn cycle_comment(issue: u64, cycle: &[u64]) -> String {
    let members: Vec<String> = cycle.iter().map(|n| format!("#{n}")).collect();
    format!(
        "{CYCLE_MARKER}\n:warning: **shiprig:** #{issue} is part of a dependency cycle ({}). \
         No agent will start it until one of these \"blocked by\" links is removed.",
        members.join(" → ")
    )
}

/// One claim, run through the protocol of [`claim`].
struct Start<'a> {
    issue: u64,
    agent: &'a str,
    login: Option<&'a str>,
}

impl Start<'_> {
    /// `Ok(None)` when the agent was dispatched, `Ok(Some(reason))` when a rival won.
    async fn run(&self, tick: &Tick<'_>) -> anyhow::Result<Option<String>> {
        let (gh, repo, labels) = (tick.gh, tick.repo, &tick.config.labels);
        let claim_labels = vec![labels.in_progress.clone(), self.agent_label(tick.config)];
        gh.add_labels(repo, self.issue, &claim_labels)
            .await
            .context("claiming (labels)")?;
        if let Some(login) = self.login
            && let Err(e) = gh
                .add_assignees(repo, self.issue, &[login.to_string()])
                .await
        {
            tracing::warn!(
                "#{}: assigning {login} failed; the next tick repairs it: {e}",
                self.issue
            );
        }
        let body = format!(
            "{}\n:robot_face: **{}** is starting on this issue.",
            claim::marker(self.agent),
            self.agent
        );
        let comment = match gh.create_comment(repo, self.issue, &body).await {
            Ok(comment) => comment,
            Err(e) => {
                self.withdraw(tick, None).await;
                return Err(anyhow::Error::new(e).context("claiming (comment)"));
            }
        };
        let mine = Claim {
            comment_id: comment.id,
            agent: self.agent.to_string(),
            at: comment.created_at,
        };
        if let Some(rival) = self
            .rival(tick, &mine)
            .await
            .context("verifying the claim")?
        {
            let reason = format!(
                "claim {} by {} on #{} came first",
                rival.comment_id, rival.agent, self.issue
            );
            self.withdraw(tick, Some((&mine, &rival))).await;
            return Ok(Some(reason));
        }
        if let Err(e) = super::dispatch::dispatch(tick, self.issue, self.agent).await {
            self.withdraw(tick, None).await;
            let note = format!(
                ":warning: Dispatching **{}** failed; the next Conductor tick tries again.",
                self.agent
            );
            let _ = gh.update_comment(repo, mine.comment_id, &note).await;
            return Err(e.context("dispatching"));
        }
        Ok(None)
    }

    fn agent_label(&self, config: &Config) -> String {
        format!("{}{}", config.labels.agent_prefix, self.agent)
    }

    /// The earliest live rival claim: on this issue, or by this agent on another issue.
    async fn rival(&self, tick: &Tick<'_>, mine: &Claim) -> anyhow::Result<Option<Claim>> {
        let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
        let issue = gh.issue(repo, self.issue).await?;
        let comments = gh.comments(repo, self.issue).await?;
        let holds =
            |c: &Claim| issue.has_label(&format!("{}{}", config.labels.agent_prefix, c.agent));
        let mut rivals: Vec<Claim> = claim::claims(&comments)
            .into_iter()
            .filter(|c| holds(c))
            .collect();
        let agent_label = self.agent_label(config);
        let others = gh
            .open_issues_with_labels(
                repo,
                &[config.labels.in_progress.as_str(), agent_label.as_str()],
            )
            .await;
        if let Some(error) = others.error {
            return Err(error.into());
        }
        for other in others.items.iter().filter(|i| i.number != self.issue) {
            let comments = gh.comments(repo, other.number).await?;
            rivals.extend(
                claim::claims(&comments)
                    .into_iter()
                    .filter(|c| c.agent == self.agent),
            );
        }
        Ok(claim::loses(mine, &rivals, |_| true))
    }

    /// Take back what this claim added and a rival does not also need. Best effort: a
    /// failure here leaves a claim the next tick's checks will see.
    async fn withdraw(&self, tick: &Tick<'_>, contest: Option<(&Claim, &Claim)>) {
        let (gh, repo, config) = (tick.gh, tick.repo, tick.config);
        if let Some((mine, rival)) = contest {
            let note = format!(
                ":information_source: {} stood down: another Conductor tick claimed first.",
                self.agent
            );
            let _ = gh.update_comment(repo, mine.comment_id, &note).await;
            let same_issue_same_agent =
                rival.agent == self.agent && self.rival_is_here(tick, rival).await;
            if same_issue_same_agent {
                return;
            }
        }
        let _ = gh
            .remove_label(repo, self.issue, &self.agent_label(config))
            .await;
        let others_hold = match gh.issue(repo, self.issue).await {
            Ok(issue) => issue
                .labels
                .iter()
                .any(|l| l.starts_with(&config.labels.agent_prefix)),
            Err(_) => true,
        };
        if !others_hold {
            let _ = gh
                .remove_label(repo, self.issue, &config.labels.in_progress)
                .await;
        }
        if let Some(login) = self.login {
            let rival_logins = rival_logins(config, contest.map(|(_, r)| r));
            if !rival_logins.contains_key(login) {
                let _ = gh
                    .remove_assignees(repo, self.issue, &[login.to_string()])
                    .await;
            }
        }
    }

    async fn rival_is_here(&self, tick: &Tick<'_>, rival: &Claim) -> bool {
        match tick.gh.comments(tick.repo, self.issue).await {
            Ok(comments) => comments.iter().any(|c| c.id == rival.comment_id),
            Err(_) => true,
        }
    }
}

fn rival_logins<'a>(config: &'a Config, rival: Option<&Claim>) -> BTreeMap<&'a str, ()> {
    let Some(rival) = rival else {
        return BTreeMap::new();
    };
    config
        .conductor
        .agents
        .iter()
        .filter(|a| a.name == rival.agent)
        .filter_map(|a| a.login.as_deref())
        .map(|l| (l, ()))
        .collect()
}
