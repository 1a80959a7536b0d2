//! shiprig's own requests, as the emulator logged them, checked against GitHub's description:
//! a described operation for the method and path, only query parameters it declares (with
//! values of the declared type), and a JSON body that fits its request schema.
#![allow(dead_code)]

use serde_json::{Value, json};
use shiprig::emulator::{LoggedRequest, UNDOCUMENTED_ROUTES};

use crate::support::spec::OpenApiSpec;

impl OpenApiSpec {
    /// Every way `request` departs from GitHub's description; empty when it fits.
    pub fn request_problems(&self, request: &LoggedRequest) -> Vec<String> {
        let (method, path) = (request.method.as_str(), request.path.as_str());
        let at = format!("{method} {path}");
        let Some(template) = self.template_for(method, path) else {
            return vec![format!("{at}: no operation in GitHub's description")];
        };
        if UNDOCUMENTED_ROUTES
            .iter()
            .any(|(m, t, _)| *m == method && *t == template)
        {
            return Vec::new();
        }
        let Some(op) = self.operation(method, &template) else {
            return vec![format!("{at}: no operation in GitHub's description")];
        };
        let mut problems = self.query_problems(&template, op, &request.query);
        problems.extend(self.body_problems(op, request.body.as_ref()));
        problems
            .into_iter()
            .map(|p| format!("{at} ({template}): {p}"))
            .collect()
    }

    /// The query parameters `op` (and its path item) declare, by name, with their schemas.
    fn query_params(&self, template: &str, op: &Value) -> Vec<(String, Value)> {
        let shared = self.doc["paths"][template]["parameters"].as_array();
        let own = op["parameters"].as_array();
        shared
            .into_iter()
            .chain(own)
            .flatten()
            .filter_map(|p| self.resolve(p))
            .filter(|p| p["in"] == "query")
            .filter_map(|p| Some((p["name"].as_str()?.to_string(), p["schema"].clone())))
            .collect()
    }

    fn query_problems(&self, template: &str, op: &Value, query: &str) -> Vec<String> {
        let declared = self.query_params(template, op);
        let mut problems = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(&raw.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let Some((_, schema)) = declared.iter().find(|(n, _)| n == name) else {
                problems.push(format!("query parameter `{name}` is not declared"));
                continue;
            };
            if let Err(why) = self.check_query_value(schema, &value) {
                problems.push(format!("query parameter `{name}={value}`: {why}"));
            }
        }
        problems
    }

    /// A query value is text; it is read as the declared type before the schema judges it.
    fn check_query_value(&self, schema: &Value, value: &str) -> Result<(), String> {
        let schema = self.resolve(schema).unwrap_or(schema);
        let typed = match schema["type"].as_str() {
            Some("integer") => value
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "not an integer".to_string())?,
            Some("boolean") => value
                .parse::<bool>()
                .map(Value::from)
                .map_err(|_| "not a boolean".to_string())?,
            _ => Value::String(value.to_string()),
        };
        self.check(schema, &typed).map_err(|e| e.join("; "))
    }

    fn body_problems(&self, op: &Value, body: Option<&Value>) -> Vec<String> {
        let request_body = op.get("requestBody").and_then(|b| self.resolve(b));
        let schema = request_body.and_then(|b| b.pointer("/content/application~1json/schema"));
        match (schema, body) {
            (None, None) | (Some(_), None) => Vec::new(),
            (None, Some(body)) => vec![format!("a JSON body where none is described: {body}")],
            (Some(schema), Some(body)) => self.check(schema, body).err().unwrap_or_default(),
        }
    }

    /// Validates `value` against `schema`, with the document's components in reach.
    fn check(&self, schema: &Value, value: &Value) -> Result<(), Vec<String>> {
        let root = json!({"allOf": [schema], "components": self.doc["components"]});
        let validator = jsonschema::validator_for(&root).map_err(|e| vec![e.to_string()])?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Follows a `#/components/...` reference; anything else as it is.
    fn resolve<'a>(&'a self, node: &'a Value) -> Option<&'a Value> {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.doc.pointer(reference.trim_start_matches('#')),
            None => Some(node),
        }
    }
}

/// Every problem with every request in `log`, one line each.
pub fn check_log(spec: &OpenApiSpec, log: &[LoggedRequest]) -> Vec<String> {
    log.iter().flat_map(|r| spec.request_problems(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, query: &str, body: Option<Value>) -> LoggedRequest {
        LoggedRequest {
            seq: 1,
            method: method.into(),
            path: path.into(),
            query: query.into(),
            status: 200,
            body,
            actor: None,
        }
    }

    /// The request checker is able to fail: an unknown parameter, a wrong type, a bad body.
    #[test]
    fn requests_that_github_would_not_accept_are_named() {
        let spec = OpenApiSpec::load();
        let fine = request(
            "GET",
            "/repos/o/r/compare/v1...main",
            "per_page=100&page=2",
            None,
        );
        assert_eq!(spec.request_problems(&fine), Vec::<String>::new());
        let unknown = request("GET", "/repos/o/r/issues", "colour=red", None);
        assert!(spec.request_problems(&unknown)[0].contains("`colour` is not declared"));
        let not_int = request("GET", "/repos/o/r/pulls", "per_page=many", None);
        assert!(spec.request_problems(&not_int)[0].contains("not an integer"));
        let bad_state = request("GET", "/repos/o/r/pulls", "state=merged", None);
        assert!(!spec.request_problems(&bad_state).is_empty());
        let body = json!({"sha": "abc", "merge_method": "octopus"});
        let bad_merge = request("PUT", "/repos/o/r/pulls/1/merge", "", Some(body));
        assert!(spec.request_problems(&bad_merge)[0].contains("octopus"));
        let nowhere = request("GET", "/repos/o/r/nowhere/else", "", None);
        assert!(!spec.request_problems(&nowhere).is_empty());
    }
}
