//! The Conductor's decisions: `plan(snapshot, config, now)` is pure and holds all the logic.
//!
//! A plan is computed in rounds. When a decision needs facts the snapshot lacks (who approved
//! an issue and when, an issue's full blocker list, its comments), the plan names them in
//! `needs` instead of guessing, the reader fetches exactly those, and the plan is made again.
//! Quiet ticks therefore read only the issue list and the milestones.

use std::collections::{BTreeMap, BTreeSet};

use super::effect::{Effect, Needs, QueueEntry, Rank, Standing, TickPlan};
use super::fallback;
use super::fix;
use super::graph;
use super::snapshot::{Approval, Snapshot, TrackedIssue};
use super::watch;
use crate::config::Config;
use chrono::{DateTime, Utc};

/// The hidden marker of the one comment that reports an issue's dependency cycle.
pub const CYCLE_MARKER: &str = "<!-- shiprig:cycle -->";

/// Decide the tick. Pure: no I/O, the same answer for the same input; `now` judges stalls.
pub fn plan(snapshot: &Snapshot, config: &Config, now: DateTime<Utc>) -> TickPlan {
    let judge = Judge::new(snapshot, config);
    let mut plan = TickPlan {
        cycles: judge.cycles.clone(),
        ..TickPlan::default()
    };
    judge.blocked_labels(&mut plan);
    let failed = judge.watch_agents(&mut plan, now);
    judge.repair_assignees(&mut plan, &failed);
    judge.report_cycles(&mut plan);
    plan.idle_agents = judge.idle_agents();
    fix::send_back(snapshot, config, &mut plan);
    fix::respond(snapshot, config, &mut plan);
    fix::request_reviews(snapshot, config, &mut plan);
    fallback::hand_on(snapshot, config, &mut plan);
    fallback::take_over(snapshot, config, &mut plan, |i| judge.untrusted(i));
    judge.assign(&mut plan);
    judge.close_milestones(&mut plan);
    plan.queue = judge.queue(&plan);
    for (number, reason) in &snapshot.approvals_unknown {
        plan.notes.push(format!(
            "#{number} is held: {reason}; it is dispatched once its approval can be read"
        ));
    }
    plan
}

/// Where one open issue stands, judged as the plan judges it (`None`: nothing keeps it from an
/// agent; an issue outside the snapshot is `None` too). The queue holds this for approved
/// issues; `explain` asks it for the others.
pub(crate) fn standing(snapshot: &Snapshot, config: &Config, issue: u64) -> Option<Standing> {
    let judge = Judge::new(snapshot, config);
    snapshot.issues.get(&issue).and_then(|i| judge.standing(i))
}

/// Whether a milestone's work has shipped.
#[derive(Debug, PartialEq, Eq)]
enum MilestoneShipped {
    Yes,
    /// These closed issues of the rig's are not `done` yet.
    Waiting(Vec<u64>),
    /// No issue of the milestone went through the rig.
    NotOurs,
}

/// Judges a milestone by its issues: the rig's are the ones that carry one of its flow labels.
fn shipped(issues: &[TrackedIssue], labels: &crate::config::Labels) -> MilestoneShipped {
    let flow = [
        &labels.approved,
        &labels.in_progress,
        &labels.in_review,
        &labels.done,
    ];
    let ours: Vec<&TrackedIssue> = issues
        .iter()
        .filter(|i| flow.iter().any(|l| i.has(l)))
        .collect();
    if ours.is_empty() {
        return MilestoneShipped::NotOurs;
    }
    let waiting: Vec<u64> = ours
        .iter()
        .filter(|i| !i.has(&labels.done))
        .map(|i| i.number)
        .collect();
    if waiting.is_empty() {
        MilestoneShipped::Yes
    } else {
        MilestoneShipped::Waiting(waiting)
    }
}

/// The facts every decision of one plan shares.
struct Judge<'a> {
    snapshot: &'a Snapshot,
    config: &'a Config,
    cycles: BTreeMap<u64, Vec<u64>>,
}

impl<'a> Judge<'a> {
    fn new(snapshot: &'a Snapshot, config: &'a Config) -> Self {
        let cycles = graph::cycles(&same_repo_edges(snapshot));
        Judge {
            snapshot,
            config,
            cycles,
        }
    }

    fn issues(&self) -> impl Iterator<Item = &'a TrackedIssue> + 'a {
        self.snapshot.issues.values()
    }

    fn approved(&self, issue: &TrackedIssue) -> bool {
        issue.has(&self.config.labels.approved)
    }

    /// An open blocker by the summary, by a read blocker list, or by a blocker the list could
    /// not show (the summary counts blockers the token cannot read).
    fn is_blocked(&self, issue: &TrackedIssue) -> bool {
        let listed_open = self
            .snapshot
            .blockers
            .get(&issue.number)
            .map(|list| list.iter().filter(|b| b.open).count());
        issue.open_blockers > 0 || listed_open.unwrap_or(0) > 0
    }

    fn blocked_labels(&self, plan: &mut TickPlan) {
        let label = &self.config.labels.blocked;
        for issue in self.issues().filter(|i| self.approved(i)) {
            let blocked = self.is_blocked(issue);
            if blocked && !issue.has(label) {
                let count = issue.open_blockers.max(1);
                let reason = format!("{count} open blocker{}", if count == 1 { "" } else { "s" });
                plan.effects.push(Effect::AddLabel {
                    issue: issue.number,
                    label: label.clone(),
                    reason,
                });
            } else if !blocked && issue.has(label) {
                let reason = "no open blocker left".to_string();
                plan.effects.push(Effect::RemoveLabel {
                    issue: issue.number,
                    label: label.clone(),
                    reason,
                });
            }
        }
    }

    /// The agent named by a claim label on the issue, if any.
    fn agent_of(&self, issue: &TrackedIssue) -> Option<String> {
        let prefix = &self.config.labels.agent_prefix;
        issue
            .labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_string))
    }

    fn is_claimed(&self, issue: &TrackedIssue) -> bool {
        issue.has(&self.config.labels.in_progress)
    }

    /// Claimed issues whose agent failed or stalled, and half-claims; returns the issues
    /// marked failed.
    fn watch_agents(&self, plan: &mut TickPlan, now: DateTime<Utc>) -> BTreeSet<u64> {
        let claimed: Vec<(&TrackedIssue, String)> = self
            .issues()
            .filter(|i| self.is_claimed(i))
            .filter_map(|i| self.agent_of(i).map(|a| (i, a)))
            .collect();
        if claimed.is_empty() {
            return BTreeSet::new();
        }
        if self.snapshot.runs.is_none() {
            plan.needs.runs = true;
            return BTreeSet::new();
        }
        let mut failed = BTreeSet::new();
        for (issue, agent) in claimed {
            let watch = watch::Watch {
                issue,
                agent: &agent,
                snapshot: self.snapshot,
                config: self.config,
                now,
            };
            match watch.judge() {
                watch::WatchDecision::Fine => {}
                watch::WatchDecision::NeedsPulls => plan.needs.pulls = true,
                watch::WatchDecision::NeedsClaim => {
                    plan.needs.comments.insert(issue.number);
                }
                watch::WatchDecision::NeedsLabels => {
                    plan.needs.label_events.insert(issue.number);
                    plan.needs.viewer |= self.snapshot.viewer.is_none();
                }
                watch::WatchDecision::Failed { reason, url } => {
                    plan.effects
                        .push(watch::failed(issue, &agent, self.config, reason, url));
                    failed.insert(issue.number);
                }
                watch::WatchDecision::Finish { claim } => {
                    plan.notes.push(format!(
                        "#{}: {agent}'s claim was never dispatched; this tick dispatches it",
                        issue.number
                    ));
                    let (handoff, fallback) =
                        fallback::carried(self.snapshot, self.config, issue.number, &agent);
                    plan.effects.push(Effect::FinishClaim {
                        issue: issue.number,
                        title: issue.title.clone(),
                        url: issue.url.clone(),
                        agent: agent.clone(),
                        claim: claim.comment_id,
                        tick: claim.tick.clone(),
                        body: issue.body.clone(),
                        handoff,
                        fallback,
                    });
                }
                watch::WatchDecision::Withdraw { reason } => {
                    plan.notes.push(format!(
                        "#{}: {agent}'s claim labels are withdrawn: {reason}",
                        issue.number
                    ));
                    plan.effects.push(Effect::WithdrawClaim {
                        issue: issue.number,
                        agent: agent.clone(),
                        login: self.config.conductor.agent_login(&agent),
                        reason,
                    });
                    failed.insert(issue.number);
                }
            }
        }
        failed
    }

    fn repair_assignees(&self, plan: &mut TickPlan, failed: &BTreeSet<u64>) {
        for issue in self
            .issues()
            .filter(|i| self.is_claimed(i) && !failed.contains(&i.number))
        {
            let Some(name) = self.agent_of(issue) else {
                continue;
            };
            let login = self.config.conductor.agent_login(&name);
            if let Some(login) = login.filter(|l| !issue.assignees.contains(l)) {
                plan.effects.push(Effect::Assign {
                    issue: issue.number,
                    login,
                });
            }
        }
    }

    fn report_cycles(&self, plan: &mut TickPlan) {
        for (&number, cycle) in &self.cycles {
            let Some(issue) = self
                .snapshot
                .issues
                .get(&number)
                .filter(|i| self.approved(i))
            else {
                continue;
            };
            match self.snapshot.markers.get(&number) {
                Some(markers) if markers.contains(CYCLE_MARKER) => {}
                Some(_) => plan.effects.push(Effect::ReportCycle {
                    issue: issue.number,
                    cycle: cycle.clone(),
                }),
                None => {
                    plan.needs.comments.insert(number);
                }
            }
        }
    }

    /// Configured agents with no open issue in progress, in configuration order.
    fn idle_agents(&self) -> Vec<String> {
        let mut busy: BTreeSet<String> = self
            .issues()
            .filter(|i| self.is_claimed(i))
            .filter_map(|i| self.agent_of(i))
            .collect();
        busy.extend(self.snapshot.busy_elsewhere.iter().cloned());
        self.config
            .conductor
            .agents
            .iter()
            .map(|a| a.name.clone())
            .filter(|name| !busy.contains(name))
            .collect()
    }

    fn rank(&self, issue: &TrackedIssue) -> Rank {
        let labels = &self.config.labels;
        if issue.has(&labels.critical) {
            Rank::Critical
        } else if issue.has(&labels.high_priority) {
            Rank::HighPriority
        } else {
            Rank::Normal
        }
    }

    /// Why an approved issue cannot be given to an agent now, if it cannot.
    fn standing(&self, issue: &TrackedIssue) -> Option<Standing> {
        let labels = &self.config.labels;
        if self.is_claimed(issue) {
            return Some(Standing::InProgress {
                agent: self.agent_of(issue),
            });
        }
        if issue.has(&labels.in_review) {
            return Some(Standing::InReview);
        }
        for held in [&labels.done, &labels.hold, &labels.agent_failed] {
            if issue.has(held) {
                return Some(Standing::Held {
                    label: held.clone(),
                });
            }
        }
        if fallback::waiting(issue, self.config) {
            return Some(fallback::standing(self.snapshot, self.config, issue));
        }
        if let Some(agent) = self.agent_of(issue) {
            return Some(Standing::Held {
                label: format!("{}{agent}", labels.agent_prefix),
            });
        }
        if self.cycles.contains_key(&issue.number) {
            return Some(Standing::InCycle);
        }
        if self.is_blocked(issue) {
            return Some(Standing::Blocked);
        }
        if self.assigned_to_a_person(issue) {
            return Some(Standing::Held {
                label: "assigned to a person".into(),
            });
        }
        self.untrusted(issue)
    }

    /// A human assignee means a person is on it; shiprig does not take it from them.
    fn assigned_to_a_person(&self, issue: &TrackedIssue) -> bool {
        let agent_logins: BTreeSet<&str> = self
            .config
            .conductor
            .agents
            .iter()
            .filter_map(|a| a.login.as_deref())
            .collect();
        issue
            .assignees
            .iter()
            .any(|login| !agent_logins.contains(login.as_str()))
    }

    /// An approval that does not count: unreadable, by a bot, an agent or shiprig itself, or
    /// by someone below the configured permission.
    fn untrusted(&self, issue: &TrackedIssue) -> Option<Standing> {
        if let Some(reason) = self.snapshot.approvals_unknown.get(&issue.number) {
            return Some(Standing::Unverified {
                reason: reason.clone(),
            });
        }
        let approval = self.snapshot.approvals.get(&issue.number)?;
        let enough = approval
            .permission
            .is_some_and(|p| p >= self.config.approvers.min_permission);
        if !enough || self.is_machine(approval) {
            return Some(Standing::Untrusted {
                actor: approval.actor.clone(),
            });
        }
        // Strictly after: GitHub's times have whole seconds, and `plan apply` writes an issue's
        // text and then approves it within one; an edit in the approval's own second is taken as
        // the text that was approved.
        let edited = approval.text.as_ref().and_then(|t| t.edited_at);
        edited
            .is_some_and(|at| at > approval.at)
            .then(|| Standing::Unverified {
                reason: format!(
                    "its title or body changed after {} approved it; it waits for a new approval",
                    approval.actor
                ),
            })
    }

    /// Bots, the configured agents and shiprig's own identity never approve work. shiprig's
    /// identity (`viewer`) is read in the approvals' own GraphQL request; an installation
    /// token acts as an App's account, which the bot test refuses anyway.
    fn is_machine(&self, approval: &Approval) -> bool {
        let actor = approval.actor.as_str();
        let agent = self
            .config
            .conductor
            .agents
            .iter()
            .filter_map(|a| a.login.as_deref())
            .any(|login| login.eq_ignore_ascii_case(actor));
        let own = matches!(&self.snapshot.viewer, Some(Some(v)) if v.eq_ignore_ascii_case(actor));
        approval.bot || actor.to_ascii_lowercase().ends_with("[bot]") || agent || own
    }

    /// Handed-off issues first (they wait for their next agent), then rank, then the oldest
    /// approval, then the lower number; an issue whose approval time is unknown comes after
    /// the known ones of its rank.
    fn order_key(&self, issue: &TrackedIssue) -> (bool, Rank, bool, Option<DateTime<Utc>>, u64) {
        let at = self.snapshot.approvals.get(&issue.number).map(|a| a.at);
        let handed_off = fallback::waiting(issue, self.config);
        (
            !handed_off,
            self.rank(issue),
            at.is_none(),
            at,
            issue.number,
        )
    }

    /// Give each idle agent the next assignable issue, once every fact that decides who is
    /// next has been read.
    fn assign(&self, plan: &mut TickPlan) {
        if plan.idle_agents.is_empty() {
            return;
        }
        if !self.snapshot.complete {
            plan.notes
                .push("the issue list was read only in part: no agent is started this tick".into());
            return;
        }
        let open: Vec<&TrackedIssue> = self
            .issues()
            .filter(|i| self.approved(i) && self.standing(i).is_none())
            .collect();
        if open.is_empty() {
            self.look_for_cycles(&mut plan.needs);
            return;
        }
        let Some(order) = self.ordered_candidates(&open, plan.idle_agents.len(), &mut plan.needs)
        else {
            return;
        };
        let mut starts = Vec::new();
        for (agent_name, issue) in plan.idle_agents.iter().zip(order) {
            if !self.snapshot.blockers.contains_key(&issue.number) {
                plan.needs.blockers.insert(issue.number);
                continue;
            }
            let login = self.config.conductor.agent_login(agent_name);
            // The text that was approved, read with the approval.
            let approved = self
                .snapshot
                .approvals
                .get(&issue.number)
                .and_then(|a| a.text.as_ref());
            starts.push(Effect::Start {
                issue: issue.number,
                title: approved.map_or_else(|| issue.title.clone(), |t| t.title.clone()),
                url: issue.url.clone(),
                agent: agent_name.clone(),
                login,
                body: approved.map_or_else(|| issue.body.clone(), |t| t.body.clone()),
                handoff: String::new(),
                fallback: fallback::after(self.config, &[], agent_name),
            });
        }
        if plan.needs.blockers.is_empty() {
            plan.effects.extend(starts);
        }
    }

    /// The queue is stuck (an agent idles, nothing is assignable): read the blockers of the
    /// issues that could sit on a cycle (blocked and blocking), so a cycle is never waited on
    /// in silence. Busy ticks skip this, which keeps them cheap.
    fn look_for_cycles(&self, needs: &mut Needs) {
        let suspects = self.issues().filter(|i| {
            self.approved(i)
                && i.open_blockers > 0
                && i.blocking > 0
                && !self.snapshot.blockers.contains_key(&i.number)
        });
        needs.blockers.extend(suspects.map(|i| i.number));
    }

    /// The candidates in order, or `None` while approvals that decide the order are unknown.
    /// Only the ranks needed to fill `slots` are asked about.
    fn ordered_candidates<'b>(
        &self,
        open: &[&'b TrackedIssue],
        slots: usize,
        needs: &mut Needs,
    ) -> Option<Vec<&'b TrackedIssue>> {
        let mut chosen: Vec<&TrackedIssue> = Vec::new();
        for rank in [Rank::Critical, Rank::HighPriority, Rank::Normal] {
            if chosen.len() >= slots {
                break;
            }
            let in_rank: Vec<&TrackedIssue> = open
                .iter()
                .copied()
                .filter(|i| self.rank(i) == rank)
                .collect();
            let unknown: Vec<u64> = in_rank
                .iter()
                .map(|i| i.number)
                .filter(|n| !self.snapshot.approvals.contains_key(n))
                .filter(|n| !self.snapshot.approvals_unknown.contains_key(n))
                .collect();
            if !unknown.is_empty() {
                needs.approvals.extend(unknown);
                return None;
            }
            chosen.extend(in_rank);
        }
        chosen.sort_by_key(|i| self.order_key(i));
        chosen.truncate(slots);
        Some(chosen)
    }

    /// A milestone is complete when its work has shipped: no issue open, and every closed issue
    /// the rig worked on `done` (merged but not yet released is not done). A milestone holding
    /// no issue the rig worked on is left to people.
    fn close_milestones(&self, plan: &mut TickPlan) {
        for milestone in &self.snapshot.milestones {
            if milestone.open_issues > 0 || milestone.closed_issues == 0 {
                continue;
            }
            let Some(issues) = self.snapshot.milestone_issues.get(&milestone.number) else {
                plan.needs.milestones.insert(milestone.number);
                continue;
            };
            match shipped(issues, &self.config.labels) {
                MilestoneShipped::Yes => plan.effects.push(Effect::CloseMilestone {
                    number: milestone.number,
                    title: milestone.title.clone(),
                    url: milestone.url.clone(),
                    description: milestone.description.clone(),
                }),
                MilestoneShipped::Waiting(numbers) => plan.notes.push(format!(
                    "milestone {:?} stays open until {} ship{} (merged, not yet `{}`)",
                    milestone.title,
                    numbers
                        .iter()
                        .map(|n| format!("#{n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if numbers.len() == 1 { "s" } else { "" },
                    self.config.labels.done,
                )),
                MilestoneShipped::NotOurs => {}
            }
        }
    }

    /// Every approved issue in queue order with where it stands.
    fn queue(&self, plan: &TickPlan) -> Vec<QueueEntry> {
        let starting: BTreeMap<u64, &str> = plan
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Start { issue, agent, .. } => Some((*issue, agent.as_str())),
                _ => None,
            })
            .collect();
        let mut entries: Vec<(_, QueueEntry)> = self
            .issues()
            .filter(|i| self.approved(i))
            .map(|issue| {
                let standing = match (starting.get(&issue.number), self.standing(issue)) {
                    (Some(agent), _) => Standing::Next {
                        agent: agent.to_string(),
                    },
                    (None, Some(standing)) => standing,
                    (None, None) => Standing::Waiting,
                };
                let entry = QueueEntry {
                    issue: issue.number,
                    title: issue.title.clone(),
                    rank: self.rank(issue),
                    approved_at: self.snapshot.approvals.get(&issue.number).map(|a| a.at),
                    standing,
                };
                (self.order_key(issue), entry)
            })
            .collect();
        entries.sort_by_key(|entry| entry.0);
        entries.into_iter().map(|(_, entry)| entry).collect()
    }
}

/// Blocker edges inside the repository, from the blocker lists that were read.
fn same_repo_edges(snapshot: &Snapshot) -> BTreeMap<u64, Vec<u64>> {
    snapshot
        .blockers
        .iter()
        .map(|(&number, list)| {
            let same: Vec<u64> = list
                .iter()
                .filter(|b| b.open && snapshot.repo.as_ref().is_none_or(|r| *r == b.repo))
                .map(|b| b.number)
                .collect();
            (number, same)
        })
        .collect()
}
