//! Keeping shiprig's secrets to shiprig: userinfo in URLs is blanked before anything is
//! printed, and the programs shiprig starts (deploy commands, the `command` agent backend)
//! start from an empty environment plus a short allow-list and the names the config lists
//! under `env:` (docs/security.md#case-44).

use std::borrow::Cow;

/// Variables shiprig itself reads that hold secrets.
pub(crate) const SHIPRIG_SECRETS: &[&str] = &[
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "SHIPRIG_APP_PRIVATE_KEY",
    "SHIPRIG_AGENT_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// Name endings that mark a secret (`SLACK_WEBHOOK_URL`, `CLICKUP_TOKEN`, `ANTHROPIC_API_KEY`).
const SECRET_ENDINGS: &[&str] = &[
    "_TOKEN",
    "_KEY",
    "_SECRET",
    "_PASSWORD",
    "_WEBHOOK_URL",
    "_PRIVATE_KEY",
];

/// Whether a variable of this name is a secret by its name.
pub(crate) fn is_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SHIPRIG_SECRETS.contains(&upper.as_str()) || SECRET_ENDINGS.iter().any(|e| upper.ends_with(e))
}

/// What every program shiprig starts may inherit without being told: the process basics and
/// the GitHub Actions context that is neither a secret nor a file channel. Everything else in
/// shiprig's environment (`DATABASE_URL`, `GH_PAT`, `KUBE_CONFIG`, cloud keys…) stays out
/// unless the config lists its name under `env:`.
pub(crate) const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "USER",
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "GITHUB_API_URL",
    "GITHUB_BASE_REF",
    "GITHUB_EVENT_NAME",
    "GITHUB_HEAD_REF",
    "GITHUB_JOB",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_OWNER",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_SERVER_URL",
    "GITHUB_SHA",
    "GITHUB_WORKFLOW",
    "GITHUB_WORKSPACE",
    "RUNNER_ARCH",
    "RUNNER_OS",
    "RUNNER_TEMP",
];

/// The files a step writes to change the job it runs in (its environment, outputs, `PATH`,
/// summary, state): a child holding one could steer every later step, so none is ever passed,
/// listed or not (`config validate` refuses them under `env:`).
pub(crate) const FILE_CHANNELS: &[&str] = &[
    "GITHUB_ENV",
    "GITHUB_OUTPUT",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
];

/// Whether a value looks like a credential whatever its name: a URL with userinfo, a private
/// key, or a token with a well-known prefix.
pub(crate) fn looks_like_credential(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "sk-",
        "AKIA",
        "ASIA",
    ];
    let value = value.trim();
    value.contains("-----BEGIN")
        || PREFIXES.iter().any(|p| value.starts_with(p))
        || redact_urls(value) != value
}

/// The environment a child starts with, from shiprig's own `parent` environment: the
/// [`INHERITED`] names whose value does not look like a credential, plus the `listed` names
/// (the config's `env:`, passed as they are), never a [`FILE_CHANNELS`] entry. Pure.
pub(crate) fn child_env(
    parent: impl IntoIterator<Item = (String, String)>,
    listed: &[String],
) -> Vec<(String, String)> {
    parent
        .into_iter()
        .filter(|(name, value)| {
            if FILE_CHANNELS.contains(&name.as_str()) {
                return false;
            }
            if listed.iter().any(|l| l == name) {
                return true;
            }
            INHERITED.contains(&name.as_str()) && !is_secret(name) && !looks_like_credential(value)
        })
        .collect()
}

/// Starts `command` from a clean environment: [`child_env`] of shiprig's own, nothing else.
/// Variables the caller adds afterwards (`SHIPRIG_SHA`, the data) come on top.
pub(crate) fn start_clean(command: &mut tokio::process::Command, listed: &[String]) {
    let parent = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
    command.env_clear().envs(child_env(parent, listed));
}

/// `text` with the userinfo of every URL in it blanked: `https://user:pass@host/x` becomes
/// `https://***@host/x`.
pub(crate) fn redact_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || "/?#\"'<>)]`".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                out.push_str(&authority[userinfo..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_32_userinfo_is_blanked_in_every_url() {
        assert_eq!(
            redact_urls("GET http://alice:s3cret@127.0.0.1:9/repos failed (http://x@h)"),
            "GET http://***@127.0.0.1:9/repos failed (http://***@h)"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(
            redact_urls("https://api.github.com/x"),
            "https://api.github.com/x"
        );
    }

    #[test]
    fn case_44_a_child_gets_the_allow_list_and_the_listed_names_only() {
        let parent = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/runner"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_API_URL", "https://alice:s3cret@api.example"),
            ("GITHUB_TOKEN", "ghs_x"),
            ("GITHUB_OUTPUT", "/tmp/out"),
            ("DATABASE_URL", "postgres://u:p@db/x"),
            ("KUBECONFIG", "/k"),
            ("USER", "ghp_looks_like_a_token"),
        ]
        .map(|(n, v)| (n.to_string(), v.to_string()));
        let listed = vec!["KUBECONFIG".to_string(), "GITHUB_OUTPUT".to_string()];
        let names: Vec<String> = child_env(parent, &listed)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["PATH", "HOME", "GITHUB_SHA", "KUBECONFIG"]);
    }
}
