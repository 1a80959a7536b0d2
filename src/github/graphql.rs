//! GraphQL, only where REST has no equivalent: who added which label to many issues, and when,
//! in one request per 100 issues. The repository's REST event list would have to be read from
//! its newest event back to the oldest approval, which in a busy repository is thousands of
//! events away; per-issue events cost one request per issue.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::client::{GRAPHQL_PATH, GitHub};
use super::error::GitHubError;
use super::types::Repo;

/// Issues asked about in one request (GitHub allows 100 aliases comfortably within its node
/// limit: 100 issues × 100 events).
pub(crate) const ISSUES_PER_QUERY: usize = 100;

/// The fields read for each issue: its latest 100 `labeled` events, its text, when its body
/// was last edited and its latest title change (an approval is for the text it saw).
pub(crate) const LABELINGS_FRAGMENT: &str = "fragment labelings on Issue { number title body lastEditedAt \
     timelineItems(itemTypes: [LABELED_EVENT], last: 100) { \
     nodes { ... on LabeledEvent { createdAt actor { __typename login } label { name } } } } \
     renames: timelineItems(itemTypes: [RENAMED_TITLE_EVENT], last: 1) { \
     nodes { ... on RenamedTitleEvent { createdAt } } } }";

/// The query for a batch of issues, one alias per issue (`i42: issue(number: 42)`).
pub fn labelings_query(numbers: &[u64]) -> String {
    let issues: String = numbers
        .iter()
        .map(|n| format!(" i{n}: issue(number: {n}) {{ ...labelings }}"))
        .collect();
    format!(
        "query($owner: String!, $name: String!) {{ viewer {{ login }} repository(owner: $owner, name: $name) {{{issues} }} }} {LABELINGS_FRAGMENT}"
    )
}

/// Issues asked about in one blocker-list request; with 50 blockers each (the fragment's
/// `first: 50`), 2,500 nodes stay far inside GitHub's node limit. An issue with more blockers
/// is read again over REST.
pub(crate) const BLOCKER_ISSUES_PER_QUERY: usize = 50;

/// An issue's native blockers (any repository), with each one's state and address.
pub(crate) const BLOCKERS_FRAGMENT: &str = "fragment blockers on Issue { number \
     blockedBy(first: 50) { totalCount nodes { number state url repository { nameWithOwner } } } }";

/// The blocker lists of a batch of issues, one alias per issue.
pub fn blockers_query(numbers: &[u64]) -> String {
    let issues: String = numbers
        .iter()
        .map(|n| format!(" i{n}: issue(number: {n}) {{ ...blockers }}"))
        .collect();
    format!(
        "query($owner: String!, $name: String!) {{ repository(owner: $owner, name: $name) {{{issues} }} }} {BLOCKERS_FRAGMENT}"
    )
}

/// One blocker as the batch read shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockerRef {
    pub(crate) repo: Repo,
    pub(crate) number: u64,
    pub(crate) open: bool,
    pub(crate) url: String,
}

/// The answer to [`GitHub::blocker_lists`]: each issue's complete blocker list, and the issues
/// with more blockers than one request shows (read them over REST).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BlockerLists {
    pub(crate) lists: BTreeMap<u64, Vec<BlockerRef>>,
    pub(crate) truncated: Vec<u64>,
}

/// The query for the identity shiprig acts as.
pub const VIEWER_QUERY: &str = "query { viewer { login } }";

/// One `labeled` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Labeling {
    pub(crate) label: String,
    pub(crate) actor: Option<String>,
    /// The actor is an App's account (`__typename: Bot`) or a `[bot]` login.
    pub(crate) bot: bool,
    pub(crate) at: DateTime<Utc>,
}

/// The answer to [`GitHub::labelings`]: each issue's latest label events, and who asked (the
/// identity shiprig acts as, read in the same request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Labelings {
    pub(crate) viewer: Option<String>,
    pub(crate) events: BTreeMap<u64, Vec<Labeling>>,
    pub(crate) texts: BTreeMap<u64, IssueText>,
}

/// An issue's title and body as read, and when either last changed (`None`: never since it was
/// opened).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssueText {
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) edited_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
}

#[derive(Deserialize)]
struct IssueNode {
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(rename = "lastEditedAt", default)]
    last_edited_at: Option<DateTime<Utc>>,
    #[serde(rename = "timelineItems")]
    timeline_items: Connection,
    #[serde(default)]
    renames: Option<Renames>,
}

#[derive(Deserialize)]
struct Renames {
    nodes: Vec<Option<Created>>,
}

#[derive(Deserialize)]
struct Created {
    #[serde(rename = "createdAt")]
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Connection {
    nodes: Vec<Option<EventNode>>,
}

#[derive(Deserialize)]
struct EventNode {
    #[serde(rename = "createdAt")]
    created_at: DateTime<Utc>,
    actor: Option<Actor>,
    label: Option<Name>,
}

#[derive(Deserialize)]
struct Actor {
    #[serde(rename = "__typename", default)]
    typename: String,
    login: String,
}

#[derive(Deserialize)]
struct BlockedNode {
    number: u64,
    #[serde(rename = "blockedBy")]
    blocked_by: BlockerConnection,
}

#[derive(Deserialize)]
struct BlockerConnection {
    #[serde(rename = "totalCount")]
    total_count: usize,
    nodes: Vec<Option<BlockerItem>>,
}

#[derive(Deserialize)]
struct BlockerItem {
    number: u64,
    state: String,
    url: String,
    repository: NameWithOwner,
}

#[derive(Deserialize)]
struct NameWithOwner {
    #[serde(rename = "nameWithOwner")]
    name_with_owner: String,
}

#[derive(Deserialize)]
struct Viewer {
    login: String,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

impl GitHub {
    /// One GraphQL query. It is a read: retried like one and counted as one.
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, GitHubError> {
        let body = json!({ "query": query, "variables": variables });
        let answer: Envelope<T> = self.send(Method::POST, GRAPHQL_PATH, &body).await?;
        match (answer.data, answer.errors.first()) {
            (Some(data), None) => Ok(data),
            (_, Some(error)) => Err(GitHubError::Status {
                method: "POST".into(),
                path: GRAPHQL_PATH.into(),
                status: 200,
                message: error.message.clone(),
            }),
            (None, None) => Err(GitHubError::Decode {
                method: "POST".into(),
                path: GRAPHQL_PATH.into(),
                message: "neither data nor errors".into(),
            }),
        }
    }

    /// The latest 100 `labeled` events of each issue, oldest first, in one request per
    /// [`ISSUES_PER_QUERY`] issues. An issue GitHub does not show is left out.
    pub(crate) async fn labelings(
        &self,
        repo: &Repo,
        numbers: &[u64],
    ) -> Result<Labelings, GitHubError> {
        #[derive(Deserialize)]
        struct LabelingsData {
            viewer: Viewer,
            repository: Option<BTreeMap<String, Option<IssueNode>>>,
        }
        let mut found = Labelings::default();
        for chunk in numbers.chunks(ISSUES_PER_QUERY) {
            let variables = json!({ "owner": repo.owner, "name": repo.name });
            let data: LabelingsData = self.graphql(&labelings_query(chunk), variables).await?;
            found.viewer = Some(data.viewer.login);
            for issue in data.repository.unwrap_or_default().into_values().flatten() {
                let renamed = issue
                    .renames
                    .iter()
                    .flat_map(|r| r.nodes.iter().flatten())
                    .map(|c| c.created_at)
                    .max();
                found.texts.insert(
                    issue.number,
                    IssueText {
                        title: issue.title.clone(),
                        body: issue.body.clone().unwrap_or_default(),
                        edited_at: issue.last_edited_at.max(renamed),
                    },
                );
                let events = issue
                    .timeline_items
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(|e| Labeling {
                        label: e.label.map(|l| l.name).unwrap_or_default(),
                        bot: e
                            .actor
                            .as_ref()
                            .is_some_and(|a| a.typename == "Bot" || a.login.ends_with("[bot]")),
                        actor: e.actor.map(|a| a.login),
                        at: e.created_at,
                    })
                    .collect();
                found.events.insert(issue.number, events);
            }
        }
        Ok(found)
    }

    /// The native blocker lists of `numbers`, in one request per
    /// [`BLOCKER_ISSUES_PER_QUERY`] issues. An issue GitHub does not show is left out.
    pub(crate) async fn blocker_lists(
        &self,
        repo: &Repo,
        numbers: &[u64],
    ) -> Result<BlockerLists, GitHubError> {
        #[derive(Deserialize)]
        struct BlockersData {
            repository: Option<BTreeMap<String, Option<BlockedNode>>>,
        }
        let mut found = BlockerLists::default();
        for chunk in numbers.chunks(BLOCKER_ISSUES_PER_QUERY) {
            let variables = json!({ "owner": repo.owner, "name": repo.name });
            let data: BlockersData = self.graphql(&blockers_query(chunk), variables).await?;
            for issue in data.repository.unwrap_or_default().into_values().flatten() {
                let nodes: Vec<BlockerItem> =
                    issue.blocked_by.nodes.into_iter().flatten().collect();
                if issue.blocked_by.total_count > nodes.len() {
                    found.truncated.push(issue.number);
                    continue;
                }
                let list = nodes
                    .into_iter()
                    .map(|b| BlockerRef {
                        repo: b
                            .repository
                            .name_with_owner
                            .parse()
                            .unwrap_or_else(|_| repo.clone()),
                        number: b.number,
                        open: b.state == "OPEN",
                        url: b.url,
                    })
                    .collect();
                found.lists.insert(issue.number, list);
            }
        }
        Ok(found)
    }

    /// The login another token acts as, asked on this client's API (`doctor` checks each agent's
    /// token against the login its config names).
    pub(crate) async fn login_of_token(&self, token: &str) -> Result<String, GitHubError> {
        let credentials = super::Credentials::Token(super::Secret::new(token));
        let options = super::ClientOptions::new(self.api_url(), credentials);
        GitHub::with_clock(options, self.clock().clone())?
            .viewer_login()
            .await
    }

    /// The login this client acts as (`viewer`), for telling shiprig's own writes from people's.
    pub(crate) async fn viewer_login(&self) -> Result<String, GitHubError> {
        #[derive(Deserialize)]
        struct ViewerData {
            viewer: Viewer,
        }
        let data: ViewerData = self.graphql(VIEWER_QUERY, json!({})).await?;
        Ok(data.viewer.login)
    }
}
