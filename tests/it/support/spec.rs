//! The vendored OpenAPI subset (`tests/fixtures/github/openapi-subset.json`) as a validator:
//! nullable rewriting, template lookup, and a checker that sends requests, validates answers,
//! and records which operations were exercised.
#![allow(dead_code)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shiprig::emulator::UNDOCUMENTED_ROUTES;

use crate::support::emulator::Api;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Parameters that may span several path segments (refs and file paths hold slashes).
const MULTI_SEGMENT: [&str; 3] = ["{path}", "{ref}", "{basehead}"];

/// The OpenAPI subset, with `nullable` rewritten to JSON Schema.
pub struct OpenApiSpec {
    pub doc: Value,
}

impl OpenApiSpec {
    pub fn load() -> OpenApiSpec {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/openapi-subset.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let mut doc: Value = serde_json::from_str(&text).expect("subset is JSON");
        rewrite_nullable(&mut doc);
        OpenApiSpec { doc }
    }

    /// Every `(METHOD, template)` the subset describes.
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        let mut ops = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for m in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                ops.insert((m.to_uppercase(), path.clone()));
            }
        }
        ops
    }

    /// The template a concrete request path belongs to, from the subset or the listed
    /// undocumented routes: exact segment matches win over multi-segment parameters, then
    /// the template with the most literal segments.
    pub fn template_for(&self, method: &str, path: &str) -> Option<String> {
        let mut candidates: Vec<String> = self
            .operations()
            .into_iter()
            .filter(|(m, _)| m == method)
            .map(|(_, t)| t)
            .collect();
        candidates.extend(
            UNDOCUMENTED_ROUTES
                .iter()
                .filter(|(m, _, _)| *m == method)
                .map(|(_, t, _)| t.to_string()),
        );
        candidates
            .into_iter()
            .filter_map(|t| template_score(&t, path).map(|s| (s, t)))
            .max()
            .map(|(_, t)| t)
    }

    /// The operation object of `method` on `template`.
    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.doc["paths"].get(template)?.get(method.to_lowercase())
    }

    /// The response object for an operation and status, following `#/components/responses`.
    fn response(&self, method: &str, template: &str, status: u16) -> Option<&Value> {
        let op = self.doc["paths"]
            .get(template)?
            .get(method.to_lowercase())?;
        let r = op["responses"].get(status.to_string())?;
        match r.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.doc.pointer(reference.trim_start_matches('#')),
            None => Some(r),
        }
    }

    /// Validates a body; `Err` lists every schema violation (or why there is no schema).
    pub fn validate(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let Some(resp) = self.response(method, template, status) else {
            return Err(vec![format!(
                "{method} {template}: status {status} is not described"
            )]);
        };
        let Some(schema) = resp.pointer("/content/application~1json/schema") else {
            return match body {
                Value::Null => Ok(()),
                _ => Err(vec![format!(
                    "{method} {template} {status}: body where none is described"
                )]),
            };
        };
        // One schema per operation that keeps `components`, so `#/components/...` resolves.
        let root = json!({"allOf": [schema], "components": self.doc["components"]});
        let validator = jsonschema::validator_for(&root).map_err(|e| vec![e.to_string()])?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// `Some((exact, literals))` when `path` fits `template`.
fn template_score(template: &str, path: &str) -> Option<(bool, usize)> {
    let t: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut literals = 0;
    for (i, seg) in t.iter().enumerate() {
        let is_last = i == t.len() - 1;
        if is_last && MULTI_SEGMENT.contains(seg) && p.len() > t.len() {
            return Some((false, literals));
        }
        let value = p.get(i)?;
        if seg.starts_with('{') {
            continue;
        }
        if seg != value {
            return None;
        }
        literals += 1;
    }
    (t.len() == p.len()).then_some((true, literals))
}

/// OpenAPI 3.0 `nullable: true` → JSON Schema: a null type, or `anyOf [.., null]`.
pub fn rewrite_nullable(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(rewrite_nullable),
        Value::Object(o) => {
            o.values_mut().for_each(rewrite_nullable);
            if o.remove("nullable") != Some(Value::Bool(true)) {
                return;
            }
            if let Some(Value::String(t)) = o.get("type").cloned() {
                o.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
            } else {
                let inner = Value::Object(std::mem::take(o));
                o.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
        }
        _ => {}
    }
}

/// Sends requests, validates answers, and records `(method, template, status)` exercised.
pub struct Checker {
    pub spec: OpenApiSpec,
    pub exercised: BTreeSet<(String, String, u16)>,
    /// Every answer that did not fit the description; all of them are reported at the end.
    pub mismatches: Vec<String>,
}

impl Checker {
    /// Sends `method path` as `api`, expects `status`, validates the body against the subset.
    pub async fn call(
        &mut self,
        api: &Api,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let bare = path.split('?').next().unwrap_or(path);
        let template = self
            .spec
            .template_for(method, bare)
            .unwrap_or_else(|| panic!("{method} {bare}: no template"));
        let (got, value) = api.json(method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        let documented = !UNDOCUMENTED_ROUTES
            .iter()
            .any(|(m, t, _)| *m == method && *t == template);
        if documented && let Err(errors) = self.spec.validate(method, &template, status, &value) {
            self.mismatches.push(format!(
                "{method} {path} ({status}) does not match the description:\n  {}",
                errors.join("\n  ")
            ));
        }
        self.exercised
            .insert((method.to_string(), template, status));
        value
    }

    pub async fn get(&mut self, api: &Api, path: &str) -> Value {
        self.call(api, "GET", path, None, 200).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::emulator::{REPO, TOKEN, seeded};

    /// The validator is able to fail: a real emulator issue, corrupted, is rejected.
    #[tokio::test]
    async fn corrupted_responses_are_rejected() {
        let emu = seeded().await;
        let n = emu
            .model()
            .create_issue(REPO, "Real", "", &["approved"], "mia");
        let issue = Api::new(&emu, Some(TOKEN))
            .get(&format!("/repos/{REPO}/issues/{n}"))
            .await;
        let spec = OpenApiSpec::load();
        let t = "/repos/{owner}/{repo}/issues/{issue_number}";
        assert_eq!(spec.validate("GET", t, 200, &issue), Ok(()));
        let mut wrong_type = issue.clone();
        wrong_type["number"] = json!("1");
        let errors = spec.validate("GET", t, 200, &wrong_type).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("/number")), "{errors:?}");
        let mut missing = issue.clone();
        missing.as_object_mut().unwrap().remove("title");
        assert!(spec.validate("GET", t, 200, &missing).is_err());
        let mut bad_label = issue;
        bad_label["labels"][0]["default"] = json!("no");
        assert!(spec.validate("GET", t, 200, &bad_label).is_err());
        assert!(
            spec.validate("GET", t, 418, &json!({})).is_err(),
            "undescribed status"
        );
    }

    #[test]
    fn nullable_becomes_json_schema() {
        let mut v = json!({"a": {"type": "string", "nullable": true, "enum": ["x"]},
                           "b": {"allOf": [{"$ref": "#/x"}], "nullable": true}});
        rewrite_nullable(&mut v);
        assert_eq!(
            v["a"],
            json!({"type": ["string", "null"], "enum": ["x", null]})
        );
        assert_eq!(
            v["b"],
            json!({"anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]})
        );
    }

    #[test]
    fn templates_are_found_for_concrete_paths() {
        let spec = OpenApiSpec::load();
        let t = |m: &str, p: &str| spec.template_for(m, p).unwrap();
        assert_eq!(
            t("GET", "/repos/o/r/issues/events"),
            "/repos/{owner}/{repo}/issues/events"
        );
        assert_eq!(
            t("GET", "/repos/o/r/issues/7"),
            "/repos/{owner}/{repo}/issues/{issue_number}"
        );
        assert_eq!(
            t("GET", "/repos/o/r/commits/main/status"),
            "/repos/{owner}/{repo}/commits/{ref}/status"
        );
        assert_eq!(
            t("GET", "/repos/o/r/contents/a/b.rs"),
            "/repos/{owner}/{repo}/contents/{path}"
        );
        assert_eq!(
            t("GET", "/repos/o/r/releases/latest"),
            "/repos/{owner}/{repo}/releases/latest"
        );
    }
}
