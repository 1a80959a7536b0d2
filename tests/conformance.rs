//! Conformance: every route the emulator serves answers in GitHub's shapes.
//!
//! Seeds a small world, sends real HTTP requests to each route, and validates each response
//! body against the matching operation and status in `shared/github-openapi-subset.json`
//! (OpenAPI 3.0, rewritten to JSON Schema). Undocumented routes must be listed, with their
//! reason, in `shiprig::emulator::UNDOCUMENTED_ROUTES`.

mod emulator_support;

use std::collections::BTreeSet;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use emulator_support::{Api, REPO, TOKEN, seeded};
use serde_json::{Value, json};
use shiprig::emulator::{Emulator, Permission, UNDOCUMENTED_ROUTES, served_routes};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The OpenAPI subset, with `nullable` rewritten to JSON Schema.
struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Spec {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/github-openapi-subset.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let mut doc: Value = serde_json::from_str(&text).expect("subset is JSON");
        rewrite_nullable(&mut doc);
        Spec { doc }
    }

    /// Every `(METHOD, template)` the subset describes.
    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut ops = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for m in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                ops.insert((m.to_uppercase(), path.clone()));
            }
        }
        ops
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
    fn validate(
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
        let mut root = schema.clone();
        if let Some(o) = root.as_object_mut() {
            o.insert("components".into(), self.doc["components"].clone());
        } else {
            root = json!({"allOf": [schema], "components": self.doc["components"]});
        }
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

/// OpenAPI 3.0 `nullable: true` → JSON Schema: a null type, or `anyOf [.., null]`.
fn rewrite_nullable(v: &mut Value) {
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

/// Sends requests, validates answers, and records which operations were exercised.
struct Checker {
    spec: Spec,
    base: String,
    exercised: BTreeSet<(String, String, u16)>,
}

impl Checker {
    /// Sends `method concrete` as `api`, expects `status`, validates against `template`.
    async fn check(
        &mut self,
        api: &Api,
        method: &str,
        template: &str,
        concrete: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let (got, value) = api.json(method, concrete, body).await;
        assert_eq!(got, status, "{method} {concrete}: {value}");
        let documented = !UNDOCUMENTED_ROUTES
            .iter()
            .any(|(m, t, _)| *m == method && *t == template);
        if documented && let Err(errors) = self.spec.validate(method, template, status, &value) {
            panic!(
                "{method} {concrete} ({status}) does not match the subset:\n  {}",
                errors.join("\n  ")
            );
        }
        self.exercised
            .insert((method.to_string(), template.to_string(), status));
        value
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn app_jwt(emu: &Emulator, app_id: u64) -> String {
    let kp = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let private = pem(
        "PRIVATE KEY",
        AsDer::<Pkcs8V1Der>::as_der(&kp).unwrap().as_ref(),
    );
    let public = pem(
        "PUBLIC KEY",
        AsDer::<PublicKeyX509Der>::as_der(kp.public_key())
            .unwrap()
            .as_ref(),
    );
    emu.model().register_app(app_id, &public);
    let now = emu.model().now().timestamp();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(
        &header,
        &json!({"iss": app_id, "iat": now - 60, "exp": now + 540}),
        &key,
    )
    .unwrap()
}

async fn seed(emu: &Emulator) {
    let mut m = emu.model();
    m.add_user("rita", shiprig::emulator::UserKind::User);
    m.set_permission(REPO, "rita", Permission::Write);
    m.add_token("ghp_rita", "rita");
    m.set_file(REPO, "main", ".github/workflows/shiprig-agent.yml", "name: agent\nrun-name: \"agent ${{ inputs.agent }} on #${{ inputs.issue }}\"\non: workflow_dispatch\n");
    m.set_file(REPO, "main", "CODEOWNERS", "* @mia @ghost\n");
    m.set_file(REPO, "main", "src/auth/session.rs", "fn login() {}\n");
    m.set_file(
        REPO,
        "feature",
        "src/auth/session.rs",
        "fn login() { check(); }\n",
    );
    m.set_symlink(REPO, "feature", "src/link", "auth/session.rs");
    m.set_file(REPO, "conflict", "README.md", "changed\n");
    m.set_file(REPO, "other", "docs/x.md", "x\n");
}

#[tokio::test]
async fn every_route_answers_in_github_shapes() {
    let emu = seeded().await;
    seed(&emu).await;
    let mut c = Checker {
        spec: Spec::load(),
        base: emu.url(),
        exercised: BTreeSet::new(),
    };
    let api = Api::new(&emu, Some(TOKEN));
    let rita = Api::new(&emu, Some("ghp_rita"));
    issues(&mut c, &api).await;
    repos_and_git(&mut c, &api).await;
    pulls(&mut c, &api, &rita).await;
    ci(&mut c, &api).await;
    app(&mut c, &emu).await;
    errors(&mut c, &api, &emu).await;
    report(&c);
}

const I: &str = "/repos/{owner}/{repo}/issues/{issue_number}";
const R: &str = "/repos/{owner}/{repo}";

async fn issues(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let a = c
        .check(
            api,
            "POST",
            &format!("{R}/issues"),
            &format!("{p}/issues"),
            Some(json!({"title": "A", "labels": ["approved"]})),
            201,
        )
        .await;
    let b = c
        .check(
            api,
            "POST",
            &format!("{R}/issues"),
            &format!("{p}/issues"),
            Some(json!({"title": "B", "body": "b"})),
            201,
        )
        .await;
    let sub = c
        .check(
            api,
            "POST",
            &format!("{R}/issues"),
            &format!("{p}/issues"),
            Some(json!({"title": "S"})),
            201,
        )
        .await;
    let (na, nb) = (a["number"].as_u64().unwrap(), b["number"].as_u64().unwrap());
    c.check(
        api,
        "GET",
        &format!("{R}/issues"),
        &format!("{p}/issues?state=all&labels=approved"),
        None,
        200,
    )
    .await;
    c.check(api, "GET", I, &format!("{p}/issues/{na}"), None, 200)
        .await;
    c.check(
        api,
        "PATCH",
        I,
        &format!("{p}/issues/{na}"),
        Some(json!({"title": "A1"})),
        200,
    )
    .await;
    let l = format!("{I}/labels");
    c.check(
        api,
        "POST",
        &l,
        &format!("{p}/issues/{na}/labels"),
        Some(json!({"labels": ["high-priority"]})),
        200,
    )
    .await;
    c.check(
        api,
        "PUT",
        &l,
        &format!("{p}/issues/{nb}/labels"),
        Some(json!({"labels": ["bug", "x"]})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &l,
        &format!("{p}/issues/{na}/labels"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{l}/{{name}}"),
        &format!("{p}/issues/{nb}/labels/x"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &l,
        &format!("{p}/issues/{nb}/labels"),
        None,
        204,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/labels"),
        &format!("{p}/labels"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/labels"),
        &format!("{p}/labels"),
        Some(json!({"name": "tmp label", "color": "ff0000"})),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/labels/{{name}}"),
        &format!("{p}/labels/tmp%20label"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "PATCH",
        &format!("{R}/labels/{{name}}"),
        &format!("{p}/labels/tmp%20label"),
        Some(json!({"description": "d"})),
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{R}/labels/{{name}}"),
        &format!("{p}/labels/tmp%20label"),
        None,
        204,
    )
    .await;
    milestones_and_people(c, api, na).await;
    comments(c, api, na).await;
    relations(c, api, na, nb, sub["id"].as_u64().unwrap()).await;
    c.check(
        api,
        "GET",
        &format!("{I}/events"),
        &format!("{p}/issues/{na}/events"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/issues/events"),
        &format!("{p}/issues/events?per_page=5"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{I}/timeline"),
        &format!("{p}/issues/{na}/timeline"),
        None,
        200,
    )
    .await;
    let q = format!("repo:{REPO} is:issue is:open label:approved");
    c.check(
        api,
        "GET",
        "/search/issues",
        &format!(
            "/search/issues?q={}",
            q.replace(' ', "+").replace(':', "%3A")
        ),
        None,
        200,
    )
    .await;
}

async fn milestones_and_people(c: &mut Checker, api: &Api, n: u64) {
    let p = format!("/repos/{REPO}");
    let ms = c
        .check(
            api,
            "POST",
            &format!("{R}/milestones"),
            &format!("{p}/milestones"),
            Some(json!({"title": "v1"})),
            201,
        )
        .await;
    let m = ms["number"].as_u64().unwrap();
    c.check(
        api,
        "PATCH",
        I,
        &format!("{p}/issues/{n}"),
        Some(json!({"milestone": m})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/milestones"),
        &format!("{p}/milestones?state=all"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/milestones/{{milestone_number}}"),
        &format!("{p}/milestones/{m}"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "PATCH",
        &format!("{R}/milestones/{{milestone_number}}"),
        &format!("{p}/milestones/{m}"),
        Some(json!({"description": "first"})),
        200,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{I}/assignees"),
        &format!("{p}/issues/{n}/assignees"),
        Some(json!({"assignees": ["rig-agent-1"]})),
        201,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{I}/assignees"),
        &format!("{p}/issues/{n}/assignees"),
        Some(json!({"assignees": ["rig-agent-1"]})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{I}/assignees/{{assignee}}"),
        &format!("{p}/issues/{n}/assignees/mia"),
        None,
        204,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/assignees"),
        &format!("{p}/assignees"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/assignees/{{assignee}}"),
        &format!("{p}/assignees/rita"),
        None,
        204,
    )
    .await;
}

async fn comments(c: &mut Checker, api: &Api, n: u64) {
    let p = format!("/repos/{REPO}");
    let cm = c
        .check(
            api,
            "POST",
            &format!("{I}/comments"),
            &format!("{p}/issues/{n}/comments"),
            Some(json!({"body": "hello"})),
            201,
        )
        .await;
    let id = cm["id"].as_u64().unwrap();
    c.check(
        api,
        "GET",
        &format!("{I}/comments"),
        &format!("{p}/issues/{n}/comments"),
        None,
        200,
    )
    .await;
    let t = format!("{R}/issues/comments/{{comment_id}}");
    c.check(
        api,
        "PATCH",
        &t,
        &format!("{p}/issues/comments/{id}"),
        Some(json!({"body": "edited"})),
        200,
    )
    .await;
    let got = c
        .check(
            api,
            "GET",
            &t,
            &format!("{p}/issues/comments/{id}"),
            None,
            200,
        )
        .await;
    assert_eq!(got["body"], "edited");
}

async fn relations(c: &mut Checker, api: &Api, na: u64, nb: u64, sub_id: u64) {
    let p = format!("/repos/{REPO}");
    let b_id = api.get(&format!("{p}/issues/{nb}")).await["id"]
        .as_u64()
        .unwrap();
    let d = format!("{I}/dependencies");
    c.check(
        api,
        "POST",
        &format!("{d}/blocked_by"),
        &format!("{p}/issues/{na}/dependencies/blocked_by"),
        Some(json!({"issue_id": b_id})),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{d}/blocked_by"),
        &format!("{p}/issues/{na}/dependencies/blocked_by"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{d}/blocking"),
        &format!("{p}/issues/{nb}/dependencies/blocking"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{d}/blocked_by/{{issue_id}}"),
        &format!("{p}/issues/{na}/dependencies/blocked_by/{b_id}"),
        None,
        200,
    )
    .await;
    let s = format!("{I}/sub_issues");
    c.check(
        api,
        "POST",
        &s,
        &format!("{p}/issues/{na}/sub_issues"),
        Some(json!({"sub_issue_id": sub_id})),
        201,
    )
    .await;
    c.check(
        api,
        "POST",
        &s,
        &format!("{p}/issues/{na}/sub_issues"),
        Some(json!({"sub_issue_id": b_id})),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &s,
        &format!("{p}/issues/{na}/sub_issues"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "PATCH",
        &format!("{s}/priority"),
        &format!("{p}/issues/{na}/sub_issues/priority"),
        Some(json!({"sub_issue_id": b_id, "before_id": sub_id})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{I}/parent"),
        &format!("{p}/issues/{nb}/parent"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{I}/sub_issue"),
        &format!("{p}/issues/{na}/sub_issue"),
        Some(json!({"sub_issue_id": b_id})),
        200,
    )
    .await;
}

async fn repos_and_git(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    c.check(api, "GET", R, &p, None, 200).await;
    c.check(
        api,
        "GET",
        &format!("{R}/collaborators"),
        &format!("{p}/collaborators"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/collaborators/{{username}}"),
        &format!("{p}/collaborators/rita"),
        None,
        204,
    )
    .await;
    let perm = c
        .check(
            api,
            "GET",
            &format!("{R}/collaborators/{{username}}/permission"),
            &format!("{p}/collaborators/mia/permission"),
            None,
            200,
        )
        .await;
    assert_eq!(
        (perm["permission"].as_str(), perm["role_name"].as_str()),
        (Some("write"), Some("maintain"))
    );
    let b = format!("{R}/branches/{{branch}}");
    c.check(api, "GET", &b, &format!("{p}/branches/main"), None, 200)
        .await;
    let protection = json!({"required_status_checks": {"strict": true, "contexts": ["shiprig/human-gate"]},
        "enforce_admins": true, "required_pull_request_reviews": {"required_approving_review_count": 1}, "restrictions": null});
    c.check(
        api,
        "PUT",
        &format!("{b}/protection"),
        &format!("{p}/branches/main/protection"),
        Some(protection),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{b}/protection"),
        &format!("{p}/branches/main/protection"),
        None,
        200,
    )
    .await;
    // What `shiprig bootstrap` sends: the gate's review settings, read back as written.
    let bootstrap = shiprig::setup::protection::body(None, "shiprig/human-gate", 1);
    c.check(
        api,
        "PUT",
        &format!("{b}/protection"),
        &format!("{p}/branches/main/protection"),
        Some(bootstrap),
        200,
    )
    .await;
    let read = c
        .check(
            api,
            "GET",
            &format!("{b}/protection"),
            &format!("{p}/branches/main/protection"),
            None,
            200,
        )
        .await;
    let reviews = &read["required_pull_request_reviews"];
    assert_eq!(
        (
            &reviews["dismiss_stale_reviews"],
            &reviews["require_last_push_approval"],
            &reviews["require_code_owner_reviews"]
        ),
        (&json!(true), &json!(true), &json!(true))
    );
    let errs = c
        .check(
            api,
            "GET",
            &format!("{R}/codeowners/errors"),
            &format!("{p}/codeowners/errors"),
            None,
            200,
        )
        .await;
    assert_eq!(
        errs["errors"].as_array().unwrap().len(),
        1,
        "@ghost is unknown"
    );
    c.check(api, "GET", "/rate_limit", "/rate_limit", None, 200)
        .await;
    c.check(
        api,
        "GET",
        &format!("{R}/commits"),
        &format!("{p}/commits?sha=main"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/commits/{{ref}}"),
        &format!("{p}/commits/feature"),
        None,
        200,
    )
    .await;
    let cmp = c
        .check(
            api,
            "GET",
            &format!("{R}/compare/{{basehead}}"),
            &format!("{p}/compare/main...feature"),
            None,
            200,
        )
        .await;
    assert_eq!(cmp["status"], "ahead");
    contents(c, api).await;
    refs(c, api).await;
    c.check(
        api,
        "GET",
        &format!("{R}/dependency-graph/compare/{{basehead}}"),
        &format!("{p}/dependency-graph/compare/main...feature"),
        None,
        200,
    )
    .await;
}

async fn contents(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let t = format!("{R}/contents/{{path}}");
    c.check(
        api,
        "GET",
        &t,
        &format!("{p}/contents/src/auth/session.rs?ref=feature"),
        None,
        200,
    )
    .await;
    let link = c
        .check(
            api,
            "GET",
            &t,
            &format!("{p}/contents/src/link?ref=feature"),
            None,
            200,
        )
        .await;
    assert_eq!(link["type"], "symlink");
    c.check(
        api,
        "GET",
        &t,
        &format!("{p}/contents/src?ref=feature"),
        None,
        200,
    )
    .await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let created = c
        .check(
            api,
            "PUT",
            &t,
            &format!("{p}/contents/notes/a.md"),
            Some(json!({"message": "add", "content": b64("a\n")})),
            201,
        )
        .await;
    let sha = created["content"]["sha"].as_str().unwrap().to_string();
    c.check(
        api,
        "PUT",
        &t,
        &format!("{p}/contents/notes/a.md"),
        Some(json!({"message": "edit", "content": b64("b\n"), "sha": sha})),
        200,
    )
    .await;
}

async fn refs(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let main = api.get(&format!("{p}/git/ref/heads/main")).await["object"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    c.check(
        api,
        "GET",
        &format!("{R}/git/ref/{{ref}}"),
        &format!("{p}/git/ref/heads/main"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/git/matching-refs/{{ref}}"),
        &format!("{p}/git/matching-refs/heads/"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/git/refs"),
        &format!("{p}/git/refs"),
        Some(json!({"ref": "refs/heads/tmp", "sha": main})),
        201,
    )
    .await;
    let r = format!("{R}/git/refs/{{ref}}");
    c.check(
        api,
        "PATCH",
        &r,
        &format!("{p}/git/refs/heads/tmp"),
        Some(json!({"sha": main, "force": true})),
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &r,
        &format!("{p}/git/refs/heads/tmp"),
        None,
        204,
    )
    .await;
    let tag = json!({"tag": "v0.1.0", "message": "v0.1.0", "object": main, "type": "commit"});
    let t = c
        .check(
            api,
            "POST",
            &format!("{R}/git/tags"),
            &format!("{p}/git/tags"),
            Some(tag),
            201,
        )
        .await;
    api.json(
        "POST",
        &format!("{p}/git/refs"),
        Some(json!({"ref": "refs/tags/v0.1.0", "sha": t["sha"]})),
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/tags"),
        &format!("{p}/tags"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/merges"),
        &format!("{p}/merges"),
        Some(json!({"base": "main", "head": "other"})),
        201,
    )
    .await;
}

const P: &str = "/repos/{owner}/{repo}/pulls/{pull_number}";

async fn pulls(c: &mut Checker, api: &Api, rita: &Api) {
    let p = format!("/repos/{REPO}");
    let body =
        json!({"title": "Auth tweak", "head": "feature", "base": "main", "body": "Closes #1"});
    let pr = c
        .check(
            api,
            "POST",
            &format!("{R}/pulls"),
            &format!("{p}/pulls"),
            Some(body),
            201,
        )
        .await;
    let n = pr["number"].as_u64().unwrap();
    c.check(
        api,
        "GET",
        &format!("{R}/pulls"),
        &format!("{p}/pulls?state=open"),
        None,
        200,
    )
    .await;
    c.check(api, "GET", P, &format!("{p}/pulls/{n}"), None, 200)
        .await;
    c.check(
        api,
        "PATCH",
        P,
        &format!("{p}/pulls/{n}"),
        Some(json!({"body": "Closes #1 (edited)"})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{P}/commits"),
        &format!("{p}/pulls/{n}/commits"),
        None,
        200,
    )
    .await;
    let files = c
        .check(
            api,
            "GET",
            &format!("{P}/files"),
            &format!("{p}/pulls/{n}/files"),
            None,
            200,
        )
        .await;
    assert_eq!(files.as_array().unwrap().len(), 2);
    let rr = format!("{P}/requested_reviewers");
    c.check(
        api,
        "POST",
        &rr,
        &format!("{p}/pulls/{n}/requested_reviewers"),
        Some(json!({"reviewers": ["rita"]})),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &rr,
        &format!("{p}/pulls/{n}/requested_reviewers"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &rr,
        &format!("{p}/pulls/{n}/requested_reviewers"),
        Some(json!({"reviewers": ["rita"]})),
        200,
    )
    .await;
    let rv = format!("{P}/reviews");
    let review = c
        .check(
            rita,
            "POST",
            &rv,
            &format!("{p}/pulls/{n}/reviews"),
            Some(json!({"event": "APPROVE"})),
            200,
        )
        .await;
    c.check(
        api,
        "GET",
        &rv,
        &format!("{p}/pulls/{n}/reviews"),
        None,
        200,
    )
    .await;
    let dismiss = format!("{rv}/{{review_id}}/dismissals");
    c.check(
        api,
        "PUT",
        &dismiss,
        &format!("{p}/pulls/{n}/reviews/{}/dismissals", review["id"]),
        Some(json!({"message": "stale"})),
        200,
    )
    .await;
    c.check(
        api,
        "PUT",
        &format!("{P}/update-branch"),
        &format!("{p}/pulls/{n}/update-branch"),
        None,
        202,
    )
    .await;
    let head = api.get(&format!("{p}/pulls/{n}")).await["head"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    c.check(
        api,
        "GET",
        &format!("{R}/commits/{{commit_sha}}/pulls"),
        &format!("{p}/commits/{head}/pulls"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "PUT",
        &format!("{P}/merge"),
        &format!("{p}/pulls/{n}/merge"),
        Some(json!({"sha": head})),
        200,
    )
    .await;
}

async fn ci(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let sha = api.get(&format!("{p}/git/ref/heads/main")).await["object"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    let check = json!({"name": "shiprig/human-gate", "head_sha": sha, "status": "in_progress"});
    let run = c
        .check(
            api,
            "POST",
            &format!("{R}/check-runs"),
            &format!("{p}/check-runs"),
            Some(check),
            201,
        )
        .await;
    let cr = format!("{R}/check-runs/{{check_run_id}}");
    c.check(
        api,
        "GET",
        &cr,
        &format!("{p}/check-runs/{}", run["id"]),
        None,
        200,
    )
    .await;
    let done = json!({"conclusion": "success", "output": {"title": "No gate", "summary": "nothing gated"}});
    c.check(
        api,
        "PATCH",
        &cr,
        &format!("{p}/check-runs/{}", run["id"]),
        Some(done),
        200,
    )
    .await;
    let listed = c
        .check(
            api,
            "GET",
            &format!("{R}/commits/{{ref}}/check-runs"),
            &format!("{p}/commits/{sha}/check-runs?check_name=shiprig/human-gate"),
            None,
            200,
        )
        .await;
    assert_eq!(listed["total_count"], 1);
    c.check(
        api,
        "POST",
        &format!("{R}/statuses/{{sha}}"),
        &format!("{p}/statuses/{sha}"),
        Some(json!({"state": "success", "context": "ci"})),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/commits/{{ref}}/statuses"),
        &format!("{p}/commits/main/statuses"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/commits/{{ref}}/status"),
        &format!("{p}/commits/main/status"),
        None,
        200,
    )
    .await;
    let dep = c
        .check(
            api,
            "POST",
            &format!("{R}/deployments"),
            &format!("{p}/deployments"),
            Some(json!({"ref": "main", "environment": "staging"})),
            201,
        )
        .await;
    let d = format!("{R}/deployments/{{deployment_id}}");
    c.check(
        api,
        "GET",
        &format!("{R}/deployments"),
        &format!("{p}/deployments?environment=staging"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &d,
        &format!("{p}/deployments/{}", dep["id"]),
        None,
        200,
    )
    .await;
    let st = json!({"state": "success", "environment_url": "https://staging.example.com"});
    c.check(
        api,
        "POST",
        &format!("{d}/statuses"),
        &format!("{p}/deployments/{}/statuses", dep["id"]),
        Some(st),
        201,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{d}/statuses"),
        &format!("{p}/deployments/{}/statuses", dep["id"]),
        None,
        200,
    )
    .await;
    releases(c, api).await;
    actions(c, api).await;
}

async fn releases(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let rel = c
        .check(
            api,
            "POST",
            &format!("{R}/releases"),
            &format!("{p}/releases"),
            Some(json!({"tag_name": "v1.0.0", "name": "v1.0.0", "body": "notes"})),
            201,
        )
        .await;
    let id = rel["id"].as_u64().unwrap();
    c.check(
        api,
        "GET",
        &format!("{R}/releases"),
        &format!("{p}/releases"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/releases/latest"),
        &format!("{p}/releases/latest"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/releases/tags/{{tag}}"),
        &format!("{p}/releases/tags/v1.0.0"),
        None,
        200,
    )
    .await;
    let r = format!("{R}/releases/{{release_id}}");
    c.check(api, "GET", &r, &format!("{p}/releases/{id}"), None, 200)
        .await;
    c.check(
        api,
        "PATCH",
        &r,
        &format!("{p}/releases/{id}"),
        Some(json!({"body": "better notes"})),
        200,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{r}/assets"),
        &format!("{p}/releases/{id}/assets"),
        None,
        200,
    )
    .await;
}

async fn actions(c: &mut Checker, api: &Api) {
    let p = format!("/repos/{REPO}");
    let wf = format!("{R}/actions/workflows/{{workflow_id}}");
    let inputs = json!({"ref": "main", "inputs": {"issue": "7", "agent": "agent-1"}});
    c.check(
        api,
        "POST",
        &format!("{wf}/dispatches"),
        &format!("{p}/actions/workflows/shiprig-agent.yml/dispatches"),
        Some(inputs),
        204,
    )
    .await;
    let runs = c
        .check(
            api,
            "GET",
            &format!("{R}/actions/runs"),
            &format!("{p}/actions/runs?event=workflow_dispatch"),
            None,
            200,
        )
        .await;
    assert_eq!(
        runs["workflow_runs"][0]["display_title"],
        "agent agent-1 on #7"
    );
    c.check(
        api,
        "GET",
        &format!("{wf}/runs"),
        &format!("{p}/actions/workflows/shiprig-agent.yml/runs"),
        None,
        200,
    )
    .await;
    let id = &runs["workflow_runs"][0]["id"];
    c.check(
        api,
        "GET",
        &format!("{R}/actions/runs/{{run_id}}"),
        &format!("{p}/actions/runs/{id}"),
        None,
        200,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/dispatches"),
        &format!("{p}/dispatches"),
        Some(json!({"event_type": "deploy"})),
        204,
    )
    .await;
}

async fn app(c: &mut Checker, emu: &Emulator) {
    let jwt = app_jwt(emu, 77);
    let inst = emu.model().add_installation(77, "acme");
    let app = Api::new(emu, Some(&jwt));
    c.check(&app, "GET", "/app", "/app", None, 200).await;
    c.check(
        &app,
        "GET",
        &format!("{R}/installation"),
        &format!("/repos/{REPO}/installation"),
        None,
        200,
    )
    .await;
    let t = "/app/installations/{installation_id}/access_tokens";
    c.check(
        &app,
        "POST",
        t,
        &format!("/app/installations/{inst}/access_tokens"),
        None,
        201,
    )
    .await;
    let forged = Api::new(emu, Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"));
    c.check(
        &forged,
        "POST",
        t,
        &format!("/app/installations/{inst}/access_tokens"),
        None,
        401,
    )
    .await;
}

/// Error answers the subset describes, validated like the successes.
async fn errors(c: &mut Checker, api: &Api, emu: &Emulator) {
    let p = format!("/repos/{REPO}");
    c.check(api, "GET", I, &format!("{p}/issues/999"), None, 404)
        .await;
    c.check(
        api,
        "POST",
        &format!("{R}/issues"),
        &format!("{p}/issues"),
        Some(json!({"body": "no title"})),
        422,
    )
    .await;
    c.check(
        api,
        "DELETE",
        &format!("{I}/labels/{{name}}"),
        &format!("{p}/issues/1/labels/absent"),
        None,
        404,
    )
    .await;
    let id = api.get(&format!("{p}/issues/1")).await["id"].clone();
    c.check(
        api,
        "POST",
        &format!("{I}/dependencies/blocked_by"),
        &format!("{p}/issues/1/dependencies/blocked_by"),
        Some(json!({"issue_id": id})),
        422,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/contents/{{path}}"),
        &format!("{p}/contents/missing.txt"),
        None,
        404,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/git/ref/{{ref}}"),
        &format!("{p}/git/ref/heads/nope"),
        None,
        404,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/git/refs"),
        &format!("{p}/git/refs"),
        Some(json!({"ref": "refs/heads/main", "sha": "0"})),
        422,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/branches/{{branch}}/protection"),
        &format!("{p}/branches/feature/protection"),
        None,
        404,
    )
    .await;
    c.check(
        api,
        "GET",
        &format!("{R}/releases/tags/{{tag}}"),
        &format!("{p}/releases/tags/v9"),
        None,
        404,
    )
    .await;
    c.check(
        api,
        "POST",
        &format!("{R}/milestones"),
        &format!("{p}/milestones"),
        Some(json!({"title": "v1"})),
        422,
    )
    .await;
    emu.model().set_file(REPO, "late", "late.txt", "late\n");
    let pr = api
        .json(
            "POST",
            &format!("{p}/pulls"),
            Some(json!({"title": "Late", "head": "late", "base": "main"})),
        )
        .await
        .1;
    let n = pr["number"].as_u64().unwrap();
    c.check(
        api,
        "PUT",
        &format!("{P}/merge"),
        &format!("{p}/pulls/{n}/merge"),
        Some(json!({"sha": "0000000"})),
        409,
    )
    .await;
}

/// Checks the served routes against the subset and prints coverage.
fn report(c: &Checker) {
    let ops = c.spec.operations();
    let served: BTreeSet<(String, String)> = served_routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    for (m, p) in &served {
        let listed = UNDOCUMENTED_ROUTES
            .iter()
            .any(|(um, up, _)| um == m && up == p);
        assert!(
            ops.contains(&(m.clone(), p.clone())) || listed,
            "{m} {p} is served but neither in the subset nor in UNDOCUMENTED_ROUTES"
        );
        let hit = c.exercised.iter().any(|(em, ep, _)| em == m && ep == p);
        assert!(
            hit,
            "{m} {p} is served but the conformance test never calls it"
        );
    }
    let ok: BTreeSet<(String, String)> = c
        .exercised
        .iter()
        .filter(|(m, p, s)| *s < 300 && ops.contains(&(m.clone(), p.clone())))
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let errors = c.exercised.iter().filter(|(_, _, s)| *s >= 400).count();
    println!(
        "conformance: {} of {} subset operations exercised with a success status; {errors} error answers validated ({})",
        ok.len(),
        ops.len(),
        c.base
    );
    for (m, p) in ops.difference(&ok) {
        println!("  not exercised: {m} {p}");
    }
    assert!(ok.len() >= 60, "only {} operations exercised", ok.len());
}

#[cfg(test)]
mod validator {
    use super::*;

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
        let spec = Spec::load();
        assert_eq!(spec.validate("GET", I, 200, &issue), Ok(()));
        let mut wrong_type = issue.clone();
        wrong_type["number"] = json!("1");
        let errors = spec.validate("GET", I, 200, &wrong_type).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("/number")), "{errors:?}");
        let mut missing = issue.clone();
        missing.as_object_mut().unwrap().remove("title");
        assert!(spec.validate("GET", I, 200, &missing).is_err());
        let mut bad_label = issue;
        bad_label["labels"][0]["default"] = json!("no");
        assert!(spec.validate("GET", I, 200, &bad_label).is_err());
        assert!(
            spec.validate("GET", I, 418, &json!({})).is_err(),
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
}
