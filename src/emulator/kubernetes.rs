//! A fake Kubernetes API server on 127.0.0.1 that keeps `batch/v1` Jobs and
//! `coordination.k8s.io/v1` Leases as state. Every submitted Job must deserialize as a
//! k8s-openapi Job, as the real API server would validate it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use k8s_openapi::api::batch::v1::Job;
use serde_json::{Value, json};

#[derive(Default)]
struct Cluster {
    /// Jobs by (namespace, name), as JSON the way the server stores them.
    jobs: BTreeMap<(String, String), Value>,
    /// Every request: method and path.
    log: Vec<(String, String)>,
    next_uid: u64,
    /// The server's clock for creation timestamps (the real time unless a test sets it).
    now: Option<chrono::DateTime<chrono::Utc>>,
}

type Shared = Arc<Mutex<Cluster>>;

/// A running fake API server; dropping it stops the server.
pub struct FakeKubernetes {
    cluster: Shared,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeKubernetes {
    pub async fn start() -> anyhow::Result<FakeKubernetes> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let cluster = Shared::default();
        let app = Router::new()
            .route(
                "/apis/batch/v1/namespaces/{ns}/jobs",
                get(list_jobs).post(create_job),
            )
            .route(
                "/apis/batch/v1/namespaces/{ns}/jobs/{name}",
                get(get_job).delete(delete_job),
            )
            .fallback(not_found)
            .with_state(cluster.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeKubernetes { cluster, url, task })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A kubeconfig that points at this server, as `KUBECONFIG` would name it.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"{}\"}}\n\
             users:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: fake, namespace: default}}\n\
             current-context: fake\n",
            self.url
        )
    }

    /// Stamp new objects with this time from now on (tests keep it with their fake clock).
    pub fn set_now(&self, now: chrono::DateTime<chrono::Utc>) {
        self.lock().now = Some(now);
    }

    /// Every Job, typed.
    pub fn jobs(&self) -> Vec<Job> {
        self.lock()
            .jobs
            .values()
            .filter_map(|j| serde_json::from_value(j.clone()).ok())
            .collect()
    }

    /// Every request as (method, path).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.lock().log.clone()
    }

    /// Mark a Job failed the way the Job controller does.
    pub fn fail_job(&self, namespace: &str, name: &str, message: &str) {
        self.set_status(namespace, name, json!({
            "failed": 1,
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": message}]
        }));
    }

    /// Mark a Job complete.
    pub fn succeed_job(&self, namespace: &str, name: &str) {
        self.set_status(
            namespace,
            name,
            json!({
                "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True"}]
            }),
        );
    }

    fn set_status(&self, namespace: &str, name: &str, status: Value) {
        if let Some(job) = self
            .lock()
            .jobs
            .get_mut(&(namespace.to_string(), name.to_string()))
        {
            job["status"] = status;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cluster> {
        self.cluster.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeKubernetes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(cluster: &Shared) -> std::sync::MutexGuard<'_, Cluster> {
    cluster.lock().unwrap_or_else(|e| e.into_inner())
}

/// A Kubernetes `Status` failure body.
fn status(code: StatusCode, reason: &str, message: String) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code.as_u16()});
    (code, Json(body)).into_response()
}

async fn create_job(
    State(cluster): State<Shared>,
    Path(ns): Path<String>,
    Json(mut body): Json<Value>,
) -> Response {
    let mut cluster = lock(&cluster);
    cluster.log.push((
        "POST".into(),
        format!("/apis/batch/v1/namespaces/{ns}/jobs"),
    ));
    if let Err(e) = serde_json::from_value::<Job>(body.clone()) {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!("not a batch/v1 Job: {e}"),
        );
    }
    let Some(name) = body["metadata"]["name"].as_str().map(str::to_string) else {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "metadata.name is required".into(),
        );
    };
    let key = (ns.clone(), name.clone());
    if cluster.jobs.contains_key(&key) {
        return status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("jobs.batch \"{name}\" already exists"),
        );
    }
    cluster.next_uid += 1;
    body["metadata"]["namespace"] = json!(ns);
    body["metadata"]["uid"] = json!(format!("00000000-0000-0000-0000-{:012}", cluster.next_uid));
    body["metadata"]["resourceVersion"] = json!(cluster.next_uid.to_string());
    body["metadata"]["creationTimestamp"] = json!(
        cluster
            .now
            .unwrap_or_else(chrono::Utc::now)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    );
    body["status"] = json!({"active": 1});
    cluster.jobs.insert(key, body.clone());
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn list_jobs(
    State(cluster): State<Shared>,
    Path(ns): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let mut cluster = lock(&cluster);
    cluster
        .log
        .push(("GET".into(), format!("/apis/batch/v1/namespaces/{ns}/jobs")));
    let selector: Vec<(String, String)> = query
        .get("labelSelector")
        .map(|s| {
            s.split(',')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let items: Vec<&Value> = cluster
        .jobs
        .iter()
        .filter(|((n, _), _)| *n == ns)
        .map(|(_, job)| job)
        .filter(|job| {
            selector
                .iter()
                .all(|(k, v)| job["metadata"]["labels"][k].as_str() == Some(v.as_str()))
        })
        .collect();
    let body = json!({"apiVersion": "batch/v1", "kind": "JobList", "metadata": {"resourceVersion": cluster.next_uid.to_string()}, "items": items});
    Json(body).into_response()
}

async fn get_job(
    State(cluster): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    let mut cluster = lock(&cluster);
    cluster.log.push((
        "GET".into(),
        format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}"),
    ));
    match cluster.jobs.get(&(ns, name.clone())) {
        Some(job) => Json(job.clone()).into_response(),
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("jobs.batch \"{name}\" not found"),
        ),
    }
}

async fn delete_job(
    State(cluster): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    let mut cluster = lock(&cluster);
    cluster.log.push((
        "DELETE".into(),
        format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}"),
    ));
    match cluster.jobs.remove(&(ns, name.clone())) {
        Some(job) => Json(job).into_response(),
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("jobs.batch \"{name}\" not found"),
        ),
    }
}

async fn not_found() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource".into(),
    )
}
