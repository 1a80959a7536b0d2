//! Conditional requests as GitHub answers them: a successful REST GET carries an `ETag` that
//! depends on the caller's credential and the body; the same GET with a matching
//! `If-None-Match` answers `304` with no body and costs no rate-limit point.

use sha1::{Digest, Sha1};

use super::http::Reply;

/// Whether a request may be answered conditionally: REST GETs only (GraphQL is a POST).
pub(crate) fn applies(method: &str, path: &str) -> bool {
    method == "GET" && path != "/rate_limit"
}

/// Whether a `200` carries an `ETag`: every REST answer, writes included (GitHub's answer to
/// a `PATCH` has one too), never GraphQL.
pub(crate) fn tagged(path: &str) -> bool {
    path != "/graphql" && path != "/rate_limit"
}

/// The validator of `reply` for the caller holding `credential`: two tokens never share one.
pub(crate) fn of(reply: &Reply, credential: Option<&str>) -> Option<String> {
    if reply.status != 200 {
        return None;
    }
    let body = serde_json::to_vec(reply.body.as_ref()?).ok()?;
    let mut hash = Sha1::new();
    hash.update(credential.unwrap_or("").as_bytes());
    hash.update([0]);
    hash.update(&body);
    for (name, value) in &reply.headers {
        if name.eq_ignore_ascii_case("link") {
            hash.update(value.as_bytes());
        }
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("W/\"{hex}\""))
}

/// Whether an `If-None-Match` header names `etag` (a list, `*`, weak or strong forms).
pub(crate) fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

/// `reply` with its `ETag`, or the `304` that replaces it when the caller's validator matches
/// (pass `if_none_match` only for a GET).
pub(crate) fn answer(reply: Reply, credential: Option<&str>, if_none_match: Option<&str>) -> Reply {
    let Some(etag) = of(&reply, credential) else {
        return reply;
    };
    if if_none_match.is_some_and(|header| matches(header, &etag)) {
        return Reply {
            status: 304,
            body: None,
            headers: vec![("etag".to_string(), etag)],
        };
    }
    let mut reply = reply;
    reply.headers.push(("etag".to_string(), etag));
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_validator_depends_on_the_credential_and_the_body() {
        let reply = Reply::ok(json!({"a": 1}));
        let a = of(&reply, Some("Bearer one")).unwrap();
        assert_ne!(a, of(&reply, Some("Bearer two")).unwrap());
        assert_ne!(
            a,
            of(&Reply::ok(json!({"a": 2})), Some("Bearer one")).unwrap()
        );
        assert_eq!(
            a,
            of(&Reply::ok(json!({"a": 1})), Some("Bearer one")).unwrap()
        );
        assert!(of(&Reply::json(404, json!({})), None).is_none());
    }

    #[test]
    fn a_matching_validator_answers_304_without_a_body() {
        let etag = of(&Reply::ok(json!([1])), None).unwrap();
        let header = format!("\"nope\", {etag}");
        let reply = answer(Reply::ok(json!([1])), None, Some(&header));
        assert_eq!((reply.status, reply.body), (304, None));
        let reply = answer(Reply::ok(json!([2])), None, Some(&etag));
        assert_eq!(reply.status, 200);
    }
}
