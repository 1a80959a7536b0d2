//! `shiprig commits lint`: the pull request title and its commits are conventional commits, or
//! a workflow annotation shows the fix. Commit text is untrusted: it is escaped before it goes
//! into a workflow command, so it can never issue one of its own.

use anyhow::Context as _;
use serde::Serialize;

use crate::actions_log::{escape_data, escape_property};
use crate::github::{GitHub, PullRequest, Repo};

/// The types the changelog knows.
pub(crate) const TYPES: &[&str] = &[
    "feat", "fix", "perf", "revert", "docs", "refactor", "test", "build", "ci", "chore", "style",
];

/// One thing that is not a conventional commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Problem {
    /// `title` or the commit SHA.
    pub(crate) subject_of: String,
    pub(crate) text: String,
    pub(crate) reason: String,
    /// The same text written as a conventional commit.
    pub(crate) suggestion: String,
}

/// `Ok` when `message` parses as a conventional commit with a known type.
pub(crate) fn lint(subject_of: &str, message: &str) -> Result<(), Problem> {
    let first = message.lines().next().unwrap_or("").trim();
    let reason = match git_conventional::Commit::parse(message.trim()) {
        Ok(c) if TYPES.contains(&c.type_().as_str().to_ascii_lowercase().as_str()) => return Ok(()),
        Ok(c) => format!(
            "unknown type `{}`; use one of {}",
            c.type_(),
            TYPES.join(", ")
        ),
        Err(e) => format!("not a conventional commit ({e})"),
    };
    Err(Problem {
        subject_of: subject_of.to_string(),
        text: first.to_string(),
        reason,
        suggestion: suggest(first),
    })
}

/// A conventional spelling of `subject`, guessed from its first word.
pub(crate) fn suggest(subject: &str) -> String {
    let subject = subject.trim();
    let (head, rest) = subject.split_once([' ', ':']).unwrap_or((subject, ""));
    let word = head.to_ascii_lowercase();
    let kind = match word.trim_end_matches(['s', 'd', ':']) {
        "fix" | "fixe" | "bugfix" | "hotfix" | "correct" | "repair" => "fix",
        "doc" | "document" | "readme" => "docs",
        "refactor" | "rename" | "move" | "clean" | "cleanup" | "simplify" => "refactor",
        "test" => "test",
        "speed" | "optimize" | "optimise" => "perf",
        "revert" => "revert",
        "bump" | "update" | "upgrade" | "chore" | "wip" => "chore",
        _ => "feat",
    };
    let keep_word = !matches!(kind, "fix" | "revert" | "test")
        || word.starts_with("bug")
        || word.starts_with("hot");
    let description = if keep_word { subject } else { rest.trim() };
    let description = description.trim_start_matches(':').trim();
    let mut chars = description.chars();
    let description = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "describe the change".to_string(),
    };
    format!("{kind}: {description}")
}

/// What linting a pull request found.
#[derive(Debug, Serialize)]
pub(crate) struct LintReport {
    pub(crate) pull: u64,
    pub(crate) checked: usize,
    /// Merge commits are not linted: they carry no change of their own.
    pub(crate) merges_skipped: usize,
    pub(crate) problems: Vec<Problem>,
}

/// What `shiprig commits lint` asks for: one pull request's title and commits.
#[derive(Debug, Clone)]
pub(crate) struct LintRequest {
    pub(crate) repo: Repo,
    /// The pull request as the API has it now.
    pub(crate) pull: PullRequest,
}

/// Lints the pull request's title and each of its commits (merge commits excepted).
pub(crate) async fn lint_pull(gh: &GitHub, request: &LintRequest) -> anyhow::Result<LintReport> {
    let (repo, pull) = (&request.repo, &request.pull);
    let number = pull.number;
    let commits = gh
        .pull_commits(repo, number)
        .await
        .with_context(|| format!("reading the commits of #{number}"))?;
    let mut problems: Vec<Problem> = lint("title", &pull.title).err().into_iter().collect();
    let mut merges = 0;
    for c in &commits {
        if c.parents.len() > 1 {
            merges += 1;
            continue;
        }
        let short: String = c.sha.chars().take(7).collect();
        problems.extend(lint(&format!("commit {short}"), &c.commit.message).err());
    }
    Ok(LintReport {
        pull: number,
        checked: commits.len() + 1 - merges,
        merges_skipped: merges,
        problems,
    })
}

/// The `::error` annotation for a problem.
pub(crate) fn annotation(problem: &Problem) -> String {
    let title = format!("{} is not a conventional commit", problem.subject_of);
    let text: String = problem.text.chars().take(200).collect();
    let message = format!(
        "{text}\n{}\nWrite it as: {}",
        problem.reason, problem.suggestion
    );
    format!(
        "::error title={}::{}",
        escape_property(&title),
        escape_data(&message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions_log::escape_property;

    #[test]
    fn conventional_messages_pass_and_others_get_a_fix() {
        assert!(lint("title", "feat(gate): count owners").is_ok());
        assert!(lint("title", "fix!: drop v1\n\nBREAKING CHANGE: gone").is_ok());
        let p = lint("title", "Fixed the login bug").unwrap_err();
        assert_eq!(p.suggestion, "fix: the login bug");
        assert_eq!(
            lint("abc", "Add dark mode").unwrap_err().suggestion,
            "feat: add dark mode"
        );
        assert_eq!(
            lint("abc", "Update README.md").unwrap_err().suggestion,
            "chore: update README.md"
        );
        let p = lint("abc", "feature: x").unwrap_err();
        assert!(
            p.reason.starts_with("unknown type `feature`"),
            "{}",
            p.reason
        );
    }

    #[test]
    fn untrusted_text_cannot_issue_workflow_commands() {
        let p = lint("title", "x\n::add-mask::secret %0A ::stop-commands::tok").unwrap_err();
        let line = annotation(&p);
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(
            line.starts_with("::error title=title is not a conventional commit::x"),
            "{line}"
        );
        let p = lint("title", "evil%0A::add-mask::x, y: z").unwrap_err();
        let line = annotation(&p);
        assert!(line.contains("evil%250A::add-mask::x"), "{line}");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
