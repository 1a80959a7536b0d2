//! SECURITY.md cases 36, 37 and 39: what the gate reads back from GitHub counts only when it is
//! what it says it is. A file GitHub lists without a patch is read, not taken as unchanged;
//! records on GitHub count only when shiprig's own identity wrote them; the required check is
//! pinned to the App that posts the verdict. Each test is the attacker's steps against the
//! emulator, which keeps the GitHub facts they rely on.

use serde_json::Value;

use crate::support::gate_rig::{REPO, Rig, TOKEN};

/// `GET path` on the emulator as the gate's token.
async fn get(rig: &Rig, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", rig.emu.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn summary_of_failure(rig: &Rig, sha: &str) -> String {
    assert_eq!(
        rig.conclusion(sha).as_deref(),
        Some("failure"),
        "{}",
        rig.summary(sha)
    );
    rig.summary(sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_37_a_nul_byte_does_not_hide_an_added_delete_from() {
    let rig = Rig::new().await;
    // The agent's script starts with a NUL byte: git calls it binary, GitHub lists it with
    // `changes: 0` and no patch, exactly like a file whose lines did not change.
    let script = "\0\nDELETE FROM users WHERE created_at < now();\n";
    let pr = rig.open_pr("tidy", &[("tools/tidy.rs", script)], "dev");
    let head = rig.head(pr);
    let listed = get(&rig, &format!("/repos/{REPO}/pulls/{pr}/files")).await;
    let file = &listed[0];
    assert_eq!(file["filename"], "tools/tidy.rs");
    assert_eq!(
        (&file["changes"], file.get("patch")),
        (&Value::from(0), None)
    );
    let run = rig.gate_pr(pr).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let summary = summary_of_failure(&rig, &head);
    assert!(
        summary.contains("### deletion") && summary.contains("DELETE FROM users"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_37_a_binary_file_renamed_and_edited_is_read_and_a_pure_rename_is_not() {
    let rig = Rig::new().await;
    {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "main",
            &[("tools/blob.bin", "\0old\n")],
            "a binary file",
        );
    }
    // A pure rename (same blob) changes no line; a renamed-and-edited binary file is read.
    let pr = {
        let mut m = rig.emu.model();
        m.set_files(
            REPO,
            "move",
            &[
                ("tools/moved.bin", "\0old\n"),
                ("tools/copy.bin", "\0old\nDELETE FROM accounts;\n"),
            ],
            "move",
        );
        m.delete_file(REPO, "move", "tools/blob.bin");
        m.create_pull(REPO, "move", "main", "Move", "", "dev")
    };
    let head = rig.head(pr);
    rig.gate_pr(pr).await;
    let summary = summary_of_failure(&rig, &head);
    assert!(summary.contains("DELETE FROM accounts"), "{summary}");
    assert!(!summary.contains("moved.bin"), "{summary}");
}
