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
    /// Leases by (namespace, name), with the field manager owning each `spec` field.
    leases: BTreeMap<(String, String), (Value, BTreeMap<String, String>)>,
    /// Job creations still to apply and then answer with a gateway error (the answer is lost).
    lose_creates: usize,
}

type SharedCluster = Arc<Mutex<Cluster>>;

/// A running fake API server; dropping it stops the server.
pub struct FakeKubernetes {
    cluster: SharedCluster,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeKubernetes {
    pub async fn start() -> anyhow::Result<FakeKubernetes> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let cluster = SharedCluster::default();
        let app = Router::new()
            .route(
                "/apis/batch/v1/namespaces/{ns}/jobs",
                get(list_jobs).post(create_job),
            )
            .route(
                "/apis/batch/v1/namespaces/{ns}/jobs/{name}",
                get(get_job).delete(delete_job),
            )
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
                axum::routing::post(lease::create),
            )
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}",
                get(lease::get).patch(lease::patch).delete(lease::delete),
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

    /// The current holder of a Lease, if any.
    pub fn lease_holder(&self, namespace: &str, name: &str) -> Option<String> {
        let cluster = self.lock();
        let (lease, _) = cluster
            .leases
            .get(&(namespace.to_string(), name.to_string()))?;
        lease["spec"]["holderIdentity"].as_str().map(str::to_string)
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

    /// Create the next `count` Jobs, then lose each answer behind a 502 from the load balancer.
    pub fn lose_next_creates(&self, count: usize) {
        self.lock().lose_creates = count;
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

fn lock(cluster: &SharedCluster) -> std::sync::MutexGuard<'_, Cluster> {
    cluster.lock().unwrap_or_else(|e| e.into_inner())
}

/// A Kubernetes `Status` failure body.
fn status(code: StatusCode, reason: &str, message: String) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code.as_u16()});
    (code, Json(body)).into_response()
}

async fn create_job(
    State(cluster): State<SharedCluster>,
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
    if cluster.lose_creates > 0 {
        cluster.lose_creates -= 1;
        let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        return (
            StatusCode::BAD_GATEWAY,
            [("content-type", "text/html")],
            page,
        )
            .into_response();
    }
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn list_jobs(
    State(cluster): State<SharedCluster>,
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
    State(cluster): State<SharedCluster>,
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
    State(cluster): State<SharedCluster>,
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

/// Leases with server-side apply's conflict rule: an apply that changes a field another field
/// manager owns is refused with 409 unless forced; updates (strategic merge) take ownership.
mod lease {
    use std::collections::BTreeMap;

    use axum::Json;
    use axum::extract::{Path, Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use serde_json::{Value, json};

    use super::{SharedCluster, lock, status};

    type LeaseKey = (String, String);

    fn stamp(cluster: &mut super::Cluster, mut lease: Value, ns: &str, name: &str) -> Value {
        cluster.next_uid += 1;
        lease["apiVersion"] = json!("coordination.k8s.io/v1");
        lease["kind"] = json!("Lease");
        lease["metadata"]["name"] = json!(name);
        lease["metadata"]["namespace"] = json!(ns);
        lease["metadata"]["resourceVersion"] = json!(cluster.next_uid.to_string());
        if lease["spec"].is_null() {
            lease["spec"] = json!({});
        }
        lease
    }

    pub async fn create(
        State(cluster): State<SharedCluster>,
        Path(ns): Path<String>,
        Json(body): Json<Value>,
    ) -> Response {
        let mut cluster = lock(&cluster);
        let Some(name) = body["metadata"]["name"].as_str().map(str::to_string) else {
            return status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name is required".into(),
            );
        };
        cluster.log.push((
            "POST".into(),
            format!("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"),
        ));
        let key: LeaseKey = (ns.clone(), name.clone());
        if cluster.leases.contains_key(&key) {
            return status(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("leases \"{name}\" already exists"),
            );
        }
        let lease = stamp(&mut cluster, body, &ns, &name);
        cluster.leases.insert(key, (lease.clone(), BTreeMap::new()));
        (StatusCode::CREATED, Json(lease)).into_response()
    }

    pub async fn get(
        State(cluster): State<SharedCluster>,
        Path((ns, name)): Path<(String, String)>,
    ) -> Response {
        let cluster = lock(&cluster);
        match cluster.leases.get(&(ns, name.clone())) {
            Some((lease, _)) => Json(lease.clone()).into_response(),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("leases \"{name}\" not found"),
            ),
        }
    }

    pub async fn delete(
        State(cluster): State<SharedCluster>,
        Path((ns, name)): Path<(String, String)>,
    ) -> Response {
        let mut cluster = lock(&cluster);
        match cluster.leases.remove(&(ns, name.clone())) {
            Some(_) => Json(json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}))
                .into_response(),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("leases \"{name}\" not found"),
            ),
        }
    }

    pub async fn patch(
        State(cluster): State<SharedCluster>,
        Path((ns, name)): Path<(String, String)>,
        Query(query): Query<BTreeMap<String, String>>,
        headers: HeaderMap,
        body: String,
    ) -> Response {
        let Ok(patch) = serde_json::from_str::<Value>(&body) else {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the patch is not JSON".into(),
            );
        };
        let apply = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("apply-patch"));
        let manager = query
            .get("fieldManager")
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        let force = query.get("force").is_some_and(|f| f == "true");
        let mut cluster = lock(&cluster);
        let key: LeaseKey = (ns.clone(), name.clone());
        if !cluster.leases.contains_key(&key) {
            if !apply {
                return status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("leases \"{name}\" not found"),
                );
            }
            let lease = stamp(&mut cluster, json!({"metadata": {}}), &ns, &name);
            cluster.leases.insert(key.clone(), (lease, BTreeMap::new()));
        }
        let (mut lease, mut owners) = cluster.leases[&key].clone();
        let fields = patch["spec"].as_object().cloned().unwrap_or_default();
        if apply && !force {
            let conflicts: Vec<String> = fields
                .iter()
                .filter(|(k, v)| {
                    owners.get(*k).is_some_and(|o| *o != manager)
                        && lease["spec"][k.as_str()] != **v
                })
                .map(|(k, _)| format!("conflict with \"{}\": .spec.{k}", owners[k]))
                .collect();
            if !conflicts.is_empty() {
                let message = format!(
                    "Apply failed with {} conflict(s): {}",
                    conflicts.len(),
                    conflicts.join(", ")
                );
                return status(StatusCode::CONFLICT, "Conflict", message);
            }
        }
        for (field, value) in fields {
            if value.is_null() {
                lease["spec"]
                    .as_object_mut()
                    .map(|spec| spec.remove(&field));
                owners.remove(&field);
            } else {
                lease["spec"][field.as_str()] = value;
                owners.insert(field, manager.clone());
            }
        }
        let lease = stamp(&mut cluster, lease, &ns, &name);
        cluster.leases.insert(key, (lease.clone(), owners));
        Json(lease).into_response()
    }
}
