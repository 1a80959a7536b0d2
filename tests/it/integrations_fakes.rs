//! The fake Asana and ClickUp answer in their documented shapes: authorization schemes,
//! `{"data": …}` wrapping, error bodies, and state kept between calls.

use serde_json::{Value, json};
use shiprig::emulator::asana::FakeAsana;
use shiprig::emulator::clickup::FakeClickUp;

async fn call(method: &str, url: &str, auth: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, url).header("Authorization", auth);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn asana_wants_bearer_and_data_and_keeps_sections() {
    let asana = FakeAsana::start("tok").await.unwrap();
    let project = asana.add_project("Web");
    let ready = asana.add_section(&project, "Ready");
    let done = asana.add_section(&project, "Done");
    let task = asana.add_task(&ready, "Feature", "notes");
    let base = asana.url();

    let (status, body) = call(
        "GET",
        &format!("{base}/sections/{ready}/tasks"),
        "tok",
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["message"], "Not Authorized");
    let (status, body) = call(
        "GET",
        &format!("{base}/sections/{ready}/tasks"),
        "Bearer tok",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["gid"], task.as_str());
    assert_eq!(body["data"][0]["resource_type"], "task");

    let url = format!("{base}/sections/{done}/addTask");
    let (status, body) = call("POST", &url, "Bearer tok", Some(json!({ "task": task }))).await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (400, Some("data: Missing input"))
    );
    let (status, body) = call(
        "POST",
        &url,
        "Bearer tok",
        Some(json!({ "data": { "task": task } })),
    )
    .await;
    assert_eq!((status, body), (200, json!({ "data": {} })));
    assert_eq!(asana.task(&task).unwrap().section.as_deref(), Some("Done"));

    let url = format!("{base}/tasks/{task}/stories");
    let (status, body) = call(
        "POST",
        &url,
        "Bearer tok",
        Some(json!({ "data": { "text": "hi" } })),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["resource_subtype"], "comment_added");
    assert_eq!(asana.task(&task).unwrap().comments, ["hi"]);
    assert_eq!(asana.writes().len(), 3);
}

#[tokio::test]
async fn clickup_wants_the_bare_token_and_known_statuses() {
    let clickup = FakeClickUp::start("pk_1").await.unwrap();
    clickup.add_list("901", &["to do", "ready to build", "complete"]);
    let task = clickup.add_task("901", "Feature", "", "ready to build");
    clickup.add_task("901", "Other", "", "to do");
    let base = clickup.url();

    let list = format!("{base}/list/901/task?statuses%5B%5D=ready%20to%20build");
    let (status, body) = call("GET", &list, "Bearer pk_1", None).await;
    assert_eq!((status, body["ECODE"].as_str()), (401, Some("OAUTH_025")));
    let (status, body) = call("GET", &list, "pk_1", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(body["tasks"][0]["status"]["status"], "ready to build");
    assert_eq!(body["last_page"], true);

    let url = format!("{base}/task/{task}");
    let (status, body) = call("PUT", &url, "pk_1", Some(json!({ "status": "shipped" }))).await;
    assert_eq!(
        (status, body["err"].as_str()),
        (400, Some("Status does not exist"))
    );
    let (status, body) = call("PUT", &url, "pk_1", Some(json!({ "status": "Complete" }))).await;
    assert_eq!(
        (status, body["status"]["status"].as_str()),
        (200, Some("complete"))
    );
    let url = format!("{base}/task/{task}/comment");
    let (status, body) = call(
        "POST",
        &url,
        "pk_1",
        Some(json!({ "comment_text": "done", "notify_all": false })),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["id"].is_number() && body["hist_id"].is_string());
    let view = clickup.task(&task).unwrap();
    assert_eq!((view.status.as_str(), view.comments.len()), ("complete", 1));
}

#[tokio::test]
async fn the_asana_client_reads_every_page_of_the_ready_section() {
    let asana = FakeAsana::start("tok").await.unwrap();
    let project = asana.add_project("Web");
    let ready = asana.add_section(&project, "Ready to build");
    for n in 0..150 {
        asana.add_task(&ready, &format!("Feature {n}"), "");
    }
    let config = shiprig::config::Config::from_yaml(
        "t.yml",
        &format!("product:\n  asana: {{project: '{project}', ready_section: Ready to build}}\n"),
    )
    .unwrap();
    let client =
        shiprig::product::AsanaClient::new(asana.url(), "tok", config.product.asana.unwrap())
            .unwrap();
    let features = client.ready().await.unwrap();
    assert_eq!(features.len(), 150);
    assert_eq!(features[149].name, "Feature 149");
    let pages = asana
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(&format!("/sections/{ready}/tasks")))
        .count();
    assert_eq!(pages, 2);
}
