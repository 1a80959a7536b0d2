//! The docs say what the code does. The configuration reference is generated from the JSON
//! Schema and fails here when it drifts.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::reference_doc;
use crate::support::text;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIX: &str = "SHIPRIG_UPDATE_DOCS=1 cargo test --test it docs::";

fn shiprig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shiprig"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("the shiprig binary runs")
}

#[test]
fn the_configuration_reference_is_the_schemas() {
    let out = shiprig(&["config", "schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    let generated = reference_doc::render(&schema);
    let path = Path::new(ROOT).join("docs/configuration.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (Some(begin), Some(end)) = (
        page.find(reference_doc::BEGIN),
        page.find(reference_doc::END),
    ) else {
        panic!(
            "docs/configuration.md lacks the markers `{}` and `{}`",
            reference_doc::BEGIN,
            reference_doc::END
        );
    };
    let start = begin + reference_doc::BEGIN.len();
    let current = &page[start..end];
    if current == generated {
        return;
    }
    if std::env::var_os("SHIPRIG_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let updated = format!("{}{generated}{}", &page[..start], &page[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    let diff = similar::TextDiff::from_lines(current, generated.as_str())
        .unified_diff()
        .context_radius(2)
        .header("docs/configuration.md", "shiprig config schema")
        .to_string();
    panic!(
        "docs/configuration.md's reference is not what the config's JSON Schema says:\n\n{diff}\n\
         Run `{FIX}` to rewrite it from the schema."
    );
}
