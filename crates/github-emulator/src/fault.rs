//! Fault injection: answer chosen requests with an error, a delay, or a dropped connection.
//!
//! A [`Fault`] matches on an optional method and a path pattern. Patterns are compared segment
//! by segment against the request path (query excluded): a literal segment must be equal, `*`
//! matches any one segment, and a final `**` matches whatever remains (zero or more segments).
//! So `/repos/*/*/issues/*/labels` hits every issue's labels, `/repos/o/r/**` the whole repo.

use std::time::Duration;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this status, these headers and a GitHub-shaped body; the write is not applied.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        message: Option<String>,
    },
    /// Sleep, then handle the request normally.
    Delay(Duration),
    /// Close the connection without answering; the write is not applied.
    Drop,
    /// Answer 502 with GitHub's HTML error page; the write is not applied.
    BadGateway,
    /// Apply the request, then lose its answer (what real GitHub sometimes does).
    Lose(Lost),
}

/// How the answer to a request that was applied gets lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// A 502 with an HTML body, as GitHub's front end sends.
    BadGateway,
    /// The real status with the JSON body cut in half.
    Truncated,
    /// The connection closes without an answer.
    Reset,
    /// The answer comes after this delay (past a client's timeout).
    Late(Duration),
}

/// Which matching requests a fault fires on (counted from 1 per fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultWhen {
    /// Every matching request.
    Always,
    /// Only the Nth matching request.
    Nth(u64),
    /// The Nth matching request and every one after it.
    FromNth(u64),
    /// The first N matching requests.
    Times(u64),
}

/// A fault to inject with [`crate::Emulator::inject`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub method: Option<String>,
    pub path: String,
    pub when: FaultWhen,
    pub action: FaultAction,
}

impl Fault {
    /// Answers matching requests with `status` and GitHub's default message for it.
    pub fn status(method: Option<&str>, path: &str, status: u16) -> Fault {
        Fault {
            method: method.map(str::to_ascii_uppercase),
            path: path.to_string(),
            when: FaultWhen::Always,
            action: FaultAction::Respond {
                status,
                headers: Vec::new(),
                message: None,
            },
        }
    }

    /// Delays matching requests by `delay`, then handles them.
    pub fn delay(method: Option<&str>, path: &str, delay: Duration) -> Fault {
        Fault {
            action: FaultAction::Delay(delay),
            ..Fault::status(method, path, 0)
        }
    }

    /// Drops the connection of matching requests without an answer.
    pub fn drop_connection(method: Option<&str>, path: &str) -> Fault {
        Fault {
            action: FaultAction::Drop,
            ..Fault::status(method, path, 0)
        }
    }

    /// Applies matching requests, then loses the answer the way `lost` says.
    pub fn lose_answer(method: Option<&str>, path: &str, lost: Lost) -> Fault {
        Fault {
            action: FaultAction::Lose(lost),
            ..Fault::status(method, path, 0)
        }
    }

    /// Answers matching requests with GitHub's HTML 502 page without applying them.
    pub fn bad_gateway(method: Option<&str>, path: &str) -> Fault {
        Fault {
            action: FaultAction::BadGateway,
            ..Fault::status(method, path, 0)
        }
    }

    /// Adds a response header (`Retry-After`, `x-ratelimit-remaining`, …) to a status fault.
    pub fn with_header(mut self, name: &str, value: &str) -> Fault {
        if let FaultAction::Respond { headers, .. } = &mut self.action {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Sets the `message` of a status fault's body.
    pub fn with_message(mut self, text: &str) -> Fault {
        if let FaultAction::Respond { message, .. } = &mut self.action {
            *message = Some(text.to_string());
        }
        self
    }

    /// Fires only on the Nth matching request.
    pub fn nth(mut self, n: u64) -> Fault {
        self.when = FaultWhen::Nth(n);
        self
    }

    /// Fires on the Nth matching request and every later one.
    pub fn from_nth(mut self, n: u64) -> Fault {
        self.when = FaultWhen::FromNth(n);
        self
    }

    /// Fires on the first `n` matching requests.
    pub fn times(mut self, n: u64) -> Fault {
        self.when = FaultWhen::Times(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        match self.method.as_deref() {
            // Any request that changes something (a GraphQL query reads).
            Some(WRITES) if !is_write(method, path) => return false,
            Some(WRITES) | None => {}
            Some(m) if m != method => return false,
            Some(_) => {}
        }
        path_matches(&self.path, path)
    }
}

/// The method a fault names to match every write (`POST`, `PATCH`, `PUT`, `DELETE`).
pub const WRITES: &str = "WRITE";

/// Whether a request changes something: every method but GET and HEAD, except a GraphQL query
/// (a POST that only reads).
pub(crate) fn is_write(method: &str, path: &str) -> bool {
    method != "GET" && method != "HEAD" && path != "/graphql"
}

/// A fault plus how many requests it has matched so far.
pub(crate) struct Armed {
    fault: Fault,
    seen: u64,
}

impl Armed {
    pub(crate) fn new(fault: Fault) -> Armed {
        Armed { fault, seen: 0 }
    }
}

/// Counts the request against every armed fault; returns the actions that fire, in order.
pub(crate) fn fire(armed: &mut [Armed], method: &str, path: &str) -> Vec<FaultAction> {
    let mut actions = Vec::new();
    for a in armed.iter_mut() {
        if !a.fault.matches(method, path) {
            continue;
        }
        a.seen += 1;
        let fires = match a.fault.when {
            FaultWhen::Always => true,
            FaultWhen::Nth(n) => a.seen == n,
            FaultWhen::FromNth(n) => a.seen >= n,
            FaultWhen::Times(n) => a.seen <= n,
        };
        if fires {
            actions.push(a.fault.action.clone());
        }
    }
    actions
}

/// Segment-wise glob: `*` is one segment, a trailing `**` is the rest.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    for (i, p) in pat.iter().enumerate() {
        if *p == "**" && i == pat.len() - 1 {
            return segs.len() >= i;
        }
        match segs.get(i) {
            Some(s) if *p == "*" || p == s => {}
            _ => return false,
        }
    }
    pat.len() == segs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_segments() {
        assert!(path_matches(
            "/repos/*/*/issues/*/labels",
            "/repos/o/r/issues/7/labels"
        ));
        assert!(!path_matches(
            "/repos/*/*/issues/*/labels",
            "/repos/o/r/issues/7"
        ));
        assert!(path_matches("/repos/o/r/**", "/repos/o/r/pulls/1/files"));
        assert!(path_matches("/repos/o/r/**", "/repos/o/r"));
        assert!(!path_matches("/repos/o/x/**", "/repos/o/r/pulls"));
        assert!(path_matches("/rate_limit", "/rate_limit"));
    }

    #[test]
    fn nth_fires_once() {
        let mut armed = vec![Armed::new(Fault::status(Some("get"), "/x", 502).nth(2))];
        let fired: Vec<usize> = (0..4)
            .map(|_| fire(&mut armed, "GET", "/x").len())
            .collect();
        assert_eq!(fired, vec![0, 1, 0, 0]);
    }
}
