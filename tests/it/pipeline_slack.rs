//! The Slack messages of the pipeline, as snapshots; text from outside is escaped.

use shiprig::notify::Event;
use shiprig::notify::slack::render;

fn events() -> Vec<Event> {
    let repo = "acme/widgets".to_string();
    vec![
        Event::DeployFinished {
            repo: repo.clone(),
            environment: "staging".into(),
            sha: "4d64d3ce1e33648f7062e1e93575c2803f940425".into(),
            ok: true,
            detail: "deployed".into(),
            url: Some("https://github.example/acme/widgets/actions/runs/42".into()),
        },
        Event::DeployFinished {
            repo: repo.clone(),
            environment: "production".into(),
            sha: "4d64d3ce1e33648f7062e1e93575c2803f940425".into(),
            ok: false,
            detail: "`./deploy.sh <prod>` exited with 3".into(),
            url: None,
        },
        Event::SmokeFinished {
            repo: repo.clone(),
            environment: "staging".into(),
            sha: Some("4d64d3ce1e33648f7062e1e93575c2803f940425".into()),
            passed: true,
            failures: vec![],
        },
        Event::SmokeFinished {
            repo: repo.clone(),
            environment: "staging".into(),
            sha: None,
            passed: false,
            failures: (1..=7)
                .map(|n| format!("check{n}: status 503 (expected 200)"))
                .collect(),
        },
        Event::HealthChanged {
            repo: repo.clone(),
            environment: "production".into(),
            up: false,
            failures: vec!["health: body does not contain \"<ok>\"".into()],
        },
        Event::HealthChanged {
            repo: repo.clone(),
            environment: "production".into(),
            up: true,
            failures: vec![],
        },
        Event::IssueReturned {
            repo: repo.clone(),
            issue: 1,
            pull: 2,
            url: "https://github.example/acme/widgets/pull/2".into(),
        },
        Event::ReleasePublished {
            repo,
            tag: "v1.2.0".into(),
            url: "https://github.example/acme/widgets/releases/tag/v1.2.0".into(),
            issues: vec![1, 4],
        },
    ]
}

#[test]
fn pipeline_messages() {
    let texts: Vec<String> = events()
        .iter()
        .map(|e| render(e)["text"].as_str().unwrap().to_string())
        .collect();
    insta::assert_snapshot!(texts.join("\n\n"));
}

#[test]
fn every_message_is_one_section_block() {
    for event in events() {
        let payload = render(&event);
        assert_eq!(payload["blocks"][0]["text"]["text"], payload["text"]);
        assert!(!payload["text"].as_str().unwrap().contains("<prod>"));
    }
}
