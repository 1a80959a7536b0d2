//! `shiprig::setup::protection`, through its public API.

use serde_json::{Value, json};
use shiprig::github::{BranchProtection, Enabled, RequiredReviews};
use shiprig::github::{Login, RequiredChecks, Restrictions};
use shiprig::setup::protection::*;

const CHECK: &str = "shiprig/human-gate";

#[test]
fn an_unprotected_branch_has_one_gap_and_gets_everything() {
    assert_eq!(gaps(None, CHECK, 1), vec![ProtectionGap::Unprotected]);
    let put = body(None, CHECK, 2);
    assert_eq!(put["required_status_checks"]["contexts"], json!([CHECK]));
    let reviews = &put["required_pull_request_reviews"];
    assert_eq!(reviews["dismiss_stale_reviews"], true);
    assert_eq!(reviews["require_last_push_approval"], true);
    assert_eq!(reviews["require_code_owner_reviews"], true);
    assert_eq!(reviews["required_approving_review_count"], 2);
    assert_eq!(put["restrictions"], Value::Null);
}

#[test]
fn the_body_keeps_what_a_human_set_and_closes_every_gap() {
    let current = BranchProtection {
        required_status_checks: Some(RequiredChecks {
            strict: true,
            contexts: vec!["ci / test".into()],
            checks: vec![],
        }),
        required_pull_request_reviews: Some(RequiredReviews {
            required_approving_review_count: 3,
            ..RequiredReviews::default()
        }),
        enforce_admins: Some(Enabled { enabled: true }),
        restrictions: Some(Restrictions {
            users: vec![Login {
                login: "release-bot".into(),
            }],
            ..Restrictions::default()
        }),
        required_linear_history: Some(Enabled { enabled: true }),
        ..BranchProtection::default()
    };
    assert_eq!(
        gaps(Some(&current), CHECK, 1),
        vec![
            ProtectionGap::CheckNotRequired {
                check: CHECK.into()
            },
            ProtectionGap::StaleApprovalsKept,
            ProtectionGap::LastPushApprovalNotRequired,
            ProtectionGap::CodeOwnerReviewNotRequired,
        ]
    );
    let put = body(Some(&current), CHECK, 1);
    assert_eq!(
        put["required_status_checks"],
        json!({"strict": true, "contexts": ["ci / test", CHECK]})
    );
    assert_eq!(put["enforce_admins"], true);
    assert_eq!(put["required_linear_history"], true);
    assert_eq!(put["restrictions"]["users"], json!(["release-bot"]));
    assert_eq!(
        put["required_pull_request_reviews"]["required_approving_review_count"],
        3
    );
    let after: BranchProtection = serde_json::from_value(json!({
        "required_status_checks": put["required_status_checks"],
        "required_pull_request_reviews": put["required_pull_request_reviews"],
    }))
    .unwrap();
    assert!(gaps(Some(&after), CHECK, 1).is_empty());
}
