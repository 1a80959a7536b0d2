//! `POST /graphql`: the part of GitHub's GraphQL API shiprig reads, answered from the model.
//!
//! The query is parsed for real (apollo-compiler) and executed field by field over the model:
//! `viewer { login }`, `repository(owner, name)` with `issue(number)` (aliases welcome), an
//! issue's `number`, `title`, `body`, `state`, `lastEditedAt` and
//! `timelineItems(itemTypes: [LABELED_EVENT] or [RENAMED_TITLE_EVENT], first|last)`
//! with `LabeledEvent { createdAt actor { __typename login } label { name } }` (an App's
//! account is a `Bot`), and an issue's `url`, `repository { nameWithOwner }` and
//! `blockedBy(first|last) { totalCount nodes { … } }` (native dependencies, across
//! repositories). Any other field is answered
//! as GitHub answers an unknown one: status 200 with an `errors` entry and no `data`.

use std::collections::BTreeMap;

use apollo_compiler::ast::{self, Definition, Selection};
use serde_json::{Map, Value, json};

use super::{Route, r};
use crate::http::{ApiError, Reply, Req, Res};
use crate::model::{IssueEvent, Model, ts};

pub(crate) const ROUTES: &[Route] = &[r("POST", "/graphql", answer)];

fn answer(m: &mut Model, req: &Req) -> Res {
    let viewer = req
        .actor
        .clone()
        .ok_or_else(|| ApiError::new(401, "This endpoint requires you to be authenticated."))?;
    let query = req.str("query").unwrap_or_default();
    let variables = req.body.get("variables").cloned().unwrap_or(json!({}));
    let document = match ast::Document::parse(query, "query.graphql") {
        Ok(document) => document,
        Err(invalid) => return Ok(errors(&invalid.errors.to_string())),
    };
    let exec = Exec {
        model: m,
        viewer: &viewer,
        variables: &variables,
        fragments: fragments(&document),
        labeled: Default::default(),
    };
    let Some(operation) = document.definitions.iter().find_map(|d| match d {
        Definition::OperationDefinition(op) => Some(op),
        _ => None,
    }) else {
        return Ok(errors("No operation given"));
    };
    match exec.select(&operation.selection_set, &Node::Query) {
        Ok(data) => Ok(Reply::ok(json!({ "data": data }))),
        Err(message) => Ok(errors(&message)),
    }
}

fn errors(message: &str) -> Reply {
    Reply::ok(json!({"errors": [{"message": message}]}))
}

fn fragments(document: &ast::Document) -> Vec<(String, Vec<Selection>)> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::FragmentDefinition(f) => {
                Some((f.name.to_string(), f.selection_set.clone()))
            }
            _ => None,
        })
        .collect()
}

/// An object the query can select fields of.
#[derive(Clone)]
enum Node {
    Query,
    User(String),
    Repository(usize),
    Issue(usize, u64),
    Connection(Vec<Node>),
    /// An issue's blockers as read, and how many it has in all.
    Blockers(Vec<Node>, usize),
    Labeled(IssueEvent),
    Renamed(IssueEvent),
    Label(String),
}

impl Node {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Query => "Query",
            Node::User(_) => "User",
            Node::Repository(_) => "Repository",
            Node::Issue(..) => "Issue",
            Node::Connection(_) => "IssueTimelineItemsConnection",
            Node::Blockers(..) => "IssueConnection",
            Node::Labeled(_) => "LabeledEvent",
            Node::Renamed(_) => "RenamedTitleEvent",
            Node::Label(_) => "Label",
        }
    }
}

/// A field's value: plain JSON, or an object to select into.
enum Resolved {
    Leaf(Value),
    Object(Node),
    Objects(Vec<Node>),
}

/// One repository's events of one kind, by issue number.
type EventsByIssue = BTreeMap<u64, Vec<IssueEvent>>;

struct Exec<'a> {
    model: &'a Model,
    viewer: &'a str,
    variables: &'a Value,
    fragments: Vec<(String, Vec<Selection>)>,
    /// Each repository's `labeled` (or `renamed`) events by issue, gathered once per query.
    labeled: std::cell::RefCell<BTreeMap<(usize, &'static str), EventsByIssue>>,
}

impl Exec<'_> {
    fn select(&self, selections: &[Selection], node: &Node) -> Result<Value, String> {
        let mut out = Map::new();
        self.select_into(selections, node, &mut out)?;
        Ok(Value::Object(out))
    }

    fn select_into(
        &self,
        selections: &[Selection],
        node: &Node,
        out: &mut Map<String, Value>,
    ) -> Result<(), String> {
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                    let value = match self.resolve(node, field)? {
                        Resolved::Leaf(v) => v,
                        Resolved::Object(n) => self.select(&field.selection_set, &n)?,
                        Resolved::Objects(list) => Value::Array(
                            list.iter()
                                .map(|n| self.select(&field.selection_set, n))
                                .collect::<Result<_, _>>()?,
                        ),
                    };
                    out.insert(key, value);
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .type_condition
                        .as_ref()
                        .is_none_or(|t| t.as_str() == node.type_name());
                    if applies {
                        self.select_into(&fragment.selection_set, node, out)?;
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let (_, set) = self
                        .fragments
                        .iter()
                        .find(|(n, _)| n == name)
                        .ok_or_else(|| format!("Fragment {name} was used, but not defined"))?;
                    self.select_into(set, node, out)?;
                }
            }
        }
        Ok(())
    }

    fn resolve(&self, node: &Node, field: &ast::Field) -> Result<Resolved, String> {
        let name = field.name.as_str();
        let leaf = |v: Value| Ok(Resolved::Leaf(v));
        match (node.clone(), name) {
            // An App's account is a `Bot` to GraphQL, whatever its login says.
            (Node::User(login), "__typename") if self.model.is_integration(&login) => {
                leaf(json!("Bot"))
            }
            (_, "__typename") => leaf(json!(node.type_name())),
            (Node::Query, "viewer") => Ok(Resolved::Object(Node::User(self.viewer.to_string()))),
            (Node::Query, "repository") => {
                let owner = self.string_arg(field, "owner")?;
                let repo = self.string_arg(field, "name")?;
                match self.model.ri(&owner, &repo) {
                    Ok(ri) => Ok(Resolved::Object(Node::Repository(ri))),
                    Err(_) => leaf(Value::Null),
                }
            }
            (Node::User(login), "login") => leaf(json!(login)),
            (Node::Repository(ri), "issue") => {
                let number = self.int_arg(field, "number")?.unwrap_or(0);
                let visible = u64::try_from(number)
                    .ok()
                    .filter(|n| self.model.issue_ref(ri, *n).is_ok_and(|i| i.pull.is_none()));
                match visible {
                    Some(n) => Ok(Resolved::Object(Node::Issue(ri, n))),
                    None => leaf(Value::Null),
                }
            }
            (Node::Issue(_, number), "number") => leaf(json!(number)),
            (Node::Issue(ri, number), "url") => leaf(json!(format!(
                "{}/issues/{number}",
                self.model.repo_html(ri)
            ))),
            (Node::Issue(ri, _), "repository") => Ok(Resolved::Object(Node::Repository(ri))),
            (Node::Repository(ri), "nameWithOwner") => {
                leaf(json!(self.model.repos[ri].full_name()))
            }
            (Node::Issue(ri, number), "blockedBy") => self.blocked_by(field, ri, number),
            (Node::Issue(ri, number), "title" | "state" | "body" | "lastEditedAt") => {
                let issue = self.model.issue_ref(ri, number).map_err(|e| e.message)?;
                leaf(match name {
                    "title" => json!(issue.title),
                    "body" => json!(issue.body.clone().unwrap_or_default()),
                    "lastEditedAt" => json!(issue.last_edited_at.map(ts)),
                    _ => json!(if issue.state_open { "OPEN" } else { "CLOSED" }),
                })
            }
            (Node::Issue(ri, number), "timelineItems") => self.labeled_events(field, ri, number),
            (Node::Connection(items), "nodes") => Ok(Resolved::Objects(items.clone())),
            (Node::Connection(items), "totalCount") => leaf(json!(items.len())),
            (Node::Blockers(items, _), "nodes") => Ok(Resolved::Objects(items.clone())),
            (Node::Blockers(_, total), "totalCount") => leaf(json!(total)),
            (Node::Labeled(e) | Node::Renamed(e), "createdAt") => leaf(json!(ts(e.created_at))),
            (Node::Labeled(e), "actor") => match e.actor.as_str() {
                "" => leaf(Value::Null),
                login => Ok(Resolved::Object(Node::User(login.to_string()))),
            },
            (Node::Labeled(e), "label") => Ok(Resolved::Object(Node::Label(
                e.label.as_ref().map(|l| l.0.clone()).unwrap_or_default(),
            ))),
            (Node::Label(label), "name") => leaf(json!(label)),
            _ => Err(format!(
                "Field '{name}' doesn't exist on type '{}'",
                node.type_name()
            )),
        }
    }

    /// The issue's blockers in the order they were added, cut by `first` or `last` (at most
    /// 100); `totalCount` counts them all.
    fn blocked_by(&self, field: &ast::Field, ri: usize, number: u64) -> Result<Resolved, String> {
        let id = self.model.issue_ref(ri, number).map_err(|e| e.message)?.id;
        let mut blockers: Vec<Node> = self
            .model
            .deps
            .iter()
            .filter(|d| d.0 == id)
            .filter_map(|d| self.model.issue_by_id(d.1))
            .map(|(ri, n)| Node::Issue(ri, n))
            .collect();
        let first = self.int_arg(field, "first")?;
        let last = self.int_arg(field, "last")?;
        let total = blockers.len();
        match (first, last) {
            (Some(n), None) if (0..=100).contains(&n) => blockers.truncate(n as usize),
            (None, Some(n)) if (0..=100).contains(&n) => {
                blockers = blockers.split_off(total.saturating_sub(n as usize));
            }
            _ => {
                return Err("You must provide a `first` or `last` value of at most 100 to properly paginate the `blockedBy` connection.".into());
            }
        }
        Ok(Resolved::Object(Node::Blockers(blockers, total)))
    }

    /// The issue's `labeled` events, oldest first, cut by `first` or `last` (at most 100).
    fn labeled_events(
        &self,
        field: &ast::Field,
        ri: usize,
        number: u64,
    ) -> Result<Resolved, String> {
        let kinds = self.enum_list_arg(field, "itemTypes")?;
        let (kind, node): (&str, fn(IssueEvent) -> Node) = match kinds.as_slice() {
            [k] if k == "LABELED_EVENT" => ("labeled", Node::Labeled),
            [k] if k == "RENAMED_TITLE_EVENT" => ("renamed", Node::Renamed),
            _ => {
                return Err(
                    "only LABELED_EVENT or RENAMED_TITLE_EVENT timeline items are served".into(),
                );
            }
        };
        let mut cache = self.labeled.borrow_mut();
        let by_issue = cache.entry((ri, kind)).or_insert_with(|| {
            let mut by_issue: BTreeMap<u64, Vec<IssueEvent>> = BTreeMap::new();
            for e in self.model.repos[ri]
                .events
                .iter()
                .filter(|e| e.kind == kind)
            {
                by_issue.entry(e.issue).or_default().push(e.clone());
            }
            by_issue
        });
        let mut events: Vec<Node> = by_issue
            .get(&number)
            .map(|list| list.iter().cloned().map(node).collect())
            .unwrap_or_default();
        drop(cache);
        let first = self.int_arg(field, "first")?;
        let last = self.int_arg(field, "last")?;
        for n in [first, last].into_iter().flatten() {
            if !(0..=100).contains(&n) {
                return Err(format!(
                    "Requesting {n} records on the connection exceeds the `first`/`last` limit of 100 records."
                ));
            }
        }
        match (first, last) {
            (Some(_), Some(_)) | (None, None) => {
                Err("You must provide a `first` or `last` value to properly paginate the `timelineItems` connection.".into())
            }
            (Some(n), None) => {
                events.truncate(n as usize);
                Ok(Resolved::Object(Node::Connection(events)))
            }
            (None, Some(n)) => {
                let skip = events.len().saturating_sub(n as usize);
                Ok(Resolved::Object(Node::Connection(events.split_off(skip))))
            }
        }
    }

    /// An argument's value with variables substituted, as JSON.
    fn arg(&self, field: &ast::Field, name: &str) -> Result<Option<Value>, String> {
        let Some(argument) = field.arguments.iter().find(|a| a.name.as_str() == name) else {
            return Ok(None);
        };
        self.value(&argument.value).map(Some)
    }

    fn value(&self, value: &ast::Value) -> Result<Value, String> {
        Ok(match value {
            ast::Value::Null => Value::Null,
            ast::Value::Enum(e) => json!(e.as_str()),
            ast::Value::Variable(v) => self
                .variables
                .get(v.as_str())
                .cloned()
                .ok_or_else(|| format!("Variable ${v} was not provided"))?,
            ast::Value::String(s) => json!(s),
            ast::Value::Boolean(b) => json!(b),
            ast::Value::Int(i) => json!(i.try_to_i32().map_err(|e| e.to_string())?),
            ast::Value::Float(f) => json!(f.try_to_f64().map_err(|e| e.to_string())?),
            ast::Value::List(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Value::Object(_) => return Err("object arguments are not served".into()),
        })
    }

    fn string_arg(&self, field: &ast::Field, name: &str) -> Result<String, String> {
        match self.arg(field, name)? {
            Some(Value::String(s)) => Ok(s),
            _ => Err(format!(
                "Argument '{name}' on Field '{}' has an invalid value. Expected type 'String!'.",
                field.name
            )),
        }
    }

    fn int_arg(&self, field: &ast::Field, name: &str) -> Result<Option<i64>, String> {
        match self.arg(field, name)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_i64()),
            Some(_) => Err(format!(
                "Argument '{name}' has an invalid value. Expected type 'Int'."
            )),
        }
    }

    fn enum_list_arg(&self, field: &ast::Field, name: &str) -> Result<Vec<String>, String> {
        Ok(match self.arg(field, name)? {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => vec![s],
            _ => Vec::new(),
        })
    }
}
