//! Whose approval counts: the latest decisive review per person, on the head SHA, by a human
//! who did not write the change, with the permission and ownership the category asks for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Permission};
use crate::github::ReviewState;

/// A review as the gate reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateReview {
    pub login: String,
    /// `type: Bot` on the review's user.
    pub bot: bool,
    pub state: ReviewState,
    pub commit_id: String,
    #[serde(default)]
    pub body: String,
}

/// Who wrote the pull request: its author, its commits' authors, and the agent behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorship {
    pub author: String,
    pub commit_authors: Vec<String>,
    /// The agent that wrote it (from `agent:<name>`, its issue, or a `Shiprig-Agent:` trailer).
    pub agent: Option<String>,
    /// Who pushed the head commit: the sender of its `synchronize` (or `opened`) event, and
    /// every login recorded on the gate's earlier check runs for the same head.
    #[serde(default)]
    pub pushers: Vec<String>,
    /// Whether any of those sources spoke: `false` means the pusher of the head is unknown.
    #[serde(default)]
    pub pusher_known: bool,
    /// Names and emails of writers the gate cannot tie to a login: the authors and committers
    /// of commits GitHub could not link to an account, and every `Co-authored-by:` trailer.
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// The unlinked commits, as `<short sha> by <name>`, for the summary.
    #[serde(default)]
    pub unlinked: Vec<String>,
    /// Why the list of commits is not whole (more than the gate reads, a short page).
    #[serde(default)]
    pub incomplete: Option<String>,
}

/// A git name and email from a commit (author, committer or `Co-authored-by:`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub(crate) name: String,
    pub(crate) email: String,
}

impl Identity {
    /// Whether `login` is this writer as far as the gate can tell: the same name, or an email
    /// whose user part (a GitHub noreply address's login part) is the login, ignoring case
    /// and punctuation.
    pub(crate) fn matches(&self, login: &str) -> bool {
        let key = |text: &str| -> String {
            text.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let login = key(login);
        if login.is_empty() {
            return false;
        }
        let (user, domain) = self.email.split_once('@').unwrap_or((&self.email, ""));
        let user = if domain.eq_ignore_ascii_case("users.noreply.github.com") {
            user.rsplit('+').next().unwrap_or(user)
        } else {
            user.split('+').next().unwrap_or(user)
        };
        key(&self.name) == login || key(user) == login
    }
}

/// `Co-authored-by: Name <email>` trailers of a commit message.
pub(crate) fn co_authors(message: &str) -> Vec<Identity> {
    message
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("co-authored-by") {
                return None;
            }
            let value = value.trim();
            let (name, email) = match value.split_once('<') {
                Some((name, rest)) => (name.trim(), rest.trim_end_matches('>').trim()),
                None => (value, ""),
            };
            Some(Identity {
                name: name.to_string(),
                email: email.to_string(),
            })
        })
        .collect()
}

/// An approval that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub login: String,
    pub reason: String,
}

/// Approvals by people who may approve something, before permission and ownership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ApprovalStanding {
    /// Lowercased logins whose latest decisive review approves the head SHA.
    pub(crate) approvers: Vec<String>,
    pub(crate) ignored: Vec<Ignored>,
}

const AGENT_TRAILER: &str = "shiprig-agent:";

/// The latest decisive review per reviewer, then who of them may count at all.
pub(crate) fn standing(
    reviews: &[GateReview],
    head_sha: &str,
    by: &Authorship,
    config: &Config,
) -> ApprovalStanding {
    let mut latest: BTreeMap<String, &GateReview> = BTreeMap::new();
    for review in reviews {
        if review.state.is_decisive() {
            latest.insert(review.login.to_lowercase(), review);
        }
    }
    let mut out = ApprovalStanding::default();
    for (login, review) in latest {
        if review.state != ReviewState::Approved {
            continue;
        }
        match disqualified(review, head_sha, by, config) {
            Some(reason) => out.ignored.push(Ignored {
                login: review.login.clone(),
                reason,
            }),
            None => out.approvers.push(login),
        }
    }
    out
}

/// The review agent's login when its latest decisive review approves `head_sha` and it is
/// none of the change's writers (author, committer, pusher, the agent behind it, an unlinked
/// commit's name). Never counted as a person's approval.
pub(crate) fn agent_review(
    reviews: &[GateReview],
    head_sha: &str,
    by: &Authorship,
    config: &Config,
) -> Option<String> {
    let name = config.conductor.review_agent.as_deref()?;
    let login = config.conductor.agent_login(name)?;
    let same = |other: &str| other.eq_ignore_ascii_case(&login);
    let latest = reviews
        .iter()
        .rev()
        .find(|r| same(&r.login) && r.state.is_decisive())?;
    let wrote = same(&by.author)
        || by.agent.as_deref() == Some(name)
        || by.commit_authors.iter().any(|a| same(a))
        || by.pushers.iter().any(|p| same(p))
        || by.identities.iter().any(|i| i.matches(&login));
    (latest.state == ReviewState::Approved && latest.commit_id == head_sha && !wrote)
        .then_some(login)
}

fn disqualified(
    review: &GateReview,
    head_sha: &str,
    by: &Authorship,
    config: &Config,
) -> Option<String> {
    let login = review.login.to_lowercase();
    let same = |other: &str| other.eq_ignore_ascii_case(&login);
    let reason = if review.bot || login.ends_with("[bot]") {
        "a bot".to_string()
    } else if let Some(agent) = config.conductor.agent_with_login(&login) {
        format!("the login of agent `{}`", agent.name)
    } else if review
        .body
        .lines()
        .any(|l| l.trim().to_lowercase().starts_with(AGENT_TRAILER))
    {
        "a review signed by an agent".to_string()
    } else if same(&by.author) {
        "the pull request's author".to_string()
    } else if by.commit_authors.iter().any(|a| same(a)) {
        "a commit author".to_string()
    } else if by.pushers.iter().any(|p| same(p)) {
        "pushed the head commit".to_string()
    } else if let Some(who) = by.identities.iter().find(|i| i.matches(&login)) {
        format!(
            "matches the writer `{}` of a commit GitHub does not link to an account, or a co-author",
            crate::markdown::inline(&who.name, 60)
        )
    } else if review.commit_id != head_sha {
        format!("approved an older commit ({})", short(&review.commit_id))
    } else {
        return None;
    };
    Some(reason)
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// Whether `login` (lowercase) is among `owners` (`@login`, or `@org/team` with its members
/// listed in `gate.teams`). No owners: anyone who passed the other checks.
pub(crate) fn is_owner(
    login: &str,
    owners: &[String],
    teams: &BTreeMap<String, Vec<String>>,
) -> bool {
    owners.is_empty()
        || owners.iter().any(|owner| {
            let owner = owner.trim_start_matches('@');
            match teams.get(owner) {
                Some(members) => members.iter().any(|m| m.eq_ignore_ascii_case(login)),
                None => !owner.contains('/') && owner.eq_ignore_ascii_case(login),
            }
        })
}

/// Whether a permission GitHub reported is at least `min`.
pub(crate) fn permitted(permission: Option<&Option<Permission>>, min: Permission) -> bool {
    matches!(permission, Some(Some(p)) if *p >= min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::BTreeMap;

    fn review(login: &str, state: &str, sha: &str) -> GateReview {
        GateReview {
            login: login.into(),
            bot: false,
            state: state.into(),
            commit_id: sha.into(),
            body: String::new(),
        }
    }

    fn by() -> Authorship {
        Authorship {
            author: "dev".into(),
            commit_authors: vec!["pusher".into()],
            ..Authorship::default()
        }
    }

    #[test]
    fn case_10_pushers_unlinked_writers_and_co_authors_do_not_count() {
        let config = Config::default();
        let mut by = by();
        by.pushers = vec!["Pat".into()];
        by.identities = co_authors("fix: x\n\nCo-authored-by: Carol Q <carol.q@example.com>\n");
        by.identities.push(Identity {
            name: "Someone".into(),
            email: "123+erin@users.noreply.github.com".into(),
        });
        let reviews = [
            review("pat", "APPROVED", "h"),
            review("carolq", "APPROVED", "h"),
            review("carol-q", "APPROVED", "h"),
            review("erin", "APPROVED", "h"),
            review("alice", "APPROVED", "h"),
        ];
        let s = standing(&reviews, "h", &by, &config);
        assert_eq!(s.approvers, ["alice"]);
        assert_eq!(s.ignored.len(), 4, "{:?}", s.ignored);
    }

    #[test]
    fn latest_decisive_review_wins_and_comments_change_nothing() {
        let config = Config::default();
        let reviews = [
            review("alice", "APPROVED", "h"),
            review("alice", "COMMENTED", "h"),
            review("bob", "APPROVED", "h"),
            review("bob", "CHANGES_REQUESTED", "h"),
            review("carol", "APPROVED", "h"),
            review("carol", "DISMISSED", "h"),
        ];
        assert_eq!(standing(&reviews, "h", &by(), &config).approvers, ["alice"]);
    }

    #[test]
    fn authors_bots_and_old_commits_do_not_count() {
        let config = Config::from_yaml(
            "t.yml",
            "conductor: {agents: [{name: agent-1, login: rig-agent-1}]}",
        )
        .unwrap();
        let mut bot = review("helper", "APPROVED", "h");
        bot.bot = true;
        let mut signed = review("shared", "APPROVED", "h");
        signed.body = "LGTM\n\nShiprig-Agent: agent-2".into();
        let reviews = [
            review("dev", "APPROVED", "h"),
            review("pusher", "APPROVED", "h"),
            review("github-actions[bot]", "APPROVED", "h"),
            review("rig-agent-1", "APPROVED", "h"),
            review("old", "APPROVED", "a"),
            bot,
            signed,
        ];
        let s = standing(&reviews, "h", &by(), &config);
        assert!(s.approvers.is_empty());
        assert_eq!(s.ignored.len(), 7);
    }

    #[test]
    fn owners_are_users_or_listed_team_members() {
        let teams = BTreeMap::from([("acme/security".to_string(), vec!["Alice".to_string()])]);
        let owners = vec!["@acme/security".to_string(), "@bob".to_string()];
        assert!(is_owner("alice", &owners, &teams));
        assert!(is_owner("bob", &owners, &teams));
        assert!(!is_owner("carol", &owners, &teams));
        assert!(!is_owner("acme", &["@acme/unlisted".into()], &teams));
        assert!(is_owner("anyone", &[], &teams));
    }
}
