use super::*;
use crate::github::{BranchProtection, Enabled, RequiredReviews};
use crate::github::{Login, RequiredCheck, RequiredChecks, Restrictions};
use serde_json::{Value, json};

const CHECK: &str = "shiprig/human-gate";

#[test]
fn an_unprotected_branch_has_one_gap_and_gets_everything() {
    assert_eq!(gaps(None, CHECK, 1, None), vec![ProtectionGap::Unprotected]);
    let put = body(None, CHECK, 2, None);
    assert_eq!(
        put["required_status_checks"]["checks"],
        json!([{"context": CHECK}])
    );
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
            checks: vec![RequiredCheck {
                context: "ci / lint".into(),
                app_id: Some(4321),
            }],
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
        gaps(Some(&current), CHECK, 1, Some(5150)),
        vec![
            ProtectionGap::CheckNotRequired {
                check: CHECK.into()
            },
            ProtectionGap::StaleApprovalsKept,
            ProtectionGap::LastPushApprovalNotRequired,
            ProtectionGap::CodeOwnerReviewNotRequired,
        ]
    );
    let put = body(Some(&current), CHECK, 1, Some(5150));
    assert_eq!(
        put["required_status_checks"],
        json!({"strict": true, "checks": [
            {"context": "ci / lint", "app_id": 4321},
            {"context": "ci / test"},
            {"context": CHECK, "app_id": 5150},
        ]}),
        "every existing pin is kept; the gate's check is pinned to shiprig's App"
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
    assert!(gaps(Some(&after), CHECK, 1, Some(5150)).is_empty());
    // Without an App the check stays required from any source: said, but not closable.
    let loose = body(Some(&current), CHECK, 1, None);
    let after: BranchProtection = serde_json::from_value(json!({
        "required_status_checks": loose["required_status_checks"],
        "required_pull_request_reviews": loose["required_pull_request_reviews"],
    }))
    .unwrap();
    let open = gaps(Some(&after), CHECK, 1, None);
    assert_eq!(
        open,
        vec![ProtectionGap::CheckFromAnySource {
            check: CHECK.into(),
            app: None
        }]
    );
    assert!(!open[0].closable());
}

#[test]
fn a_gate_check_pinned_to_another_app_is_repinned_to_shiprigs() {
    let current = BranchProtection {
        required_status_checks: Some(RequiredChecks {
            strict: false,
            contexts: vec![CHECK.into()],
            checks: vec![RequiredCheck {
                context: CHECK.into(),
                app_id: Some(777),
            }],
        }),
        ..BranchProtection::default()
    };
    let found = gaps(Some(&current), CHECK, 1, Some(5150));
    assert!(found.contains(&ProtectionGap::CheckFromAnySource {
        check: CHECK.into(),
        app: Some(5150)
    }));
    let put = body(Some(&current), CHECK, 1, Some(5150));
    assert_eq!(
        put["required_status_checks"]["checks"],
        json!([{"context": CHECK, "app_id": 5150}])
    );
}

#[test]
fn a_gate_check_pinned_to_github_actions_is_still_from_any_workflow() {
    let current = BranchProtection {
        required_status_checks: Some(RequiredChecks {
            strict: false,
            contexts: vec![],
            checks: vec![RequiredCheck {
                context: CHECK.into(),
                app_id: Some(15368),
            }],
        }),
        ..BranchProtection::default()
    };
    assert!(
        gaps(Some(&current), CHECK, 1, None).contains(&ProtectionGap::CheckFromAnySource {
            check: CHECK.into(),
            app: None
        })
    );
}

#[test]
fn ci_checks_are_pinned_to_github_actions_and_a_persons_pin_is_kept() {
    let current = BranchProtection {
        required_status_checks: Some(RequiredChecks {
            strict: true,
            contexts: vec!["test".into(), "lint".into()],
            checks: vec![
                RequiredCheck {
                    context: "test".into(),
                    app_id: Some(777),
                },
                RequiredCheck {
                    context: "lint".into(),
                    app_id: None,
                },
            ],
        }),
        ..BranchProtection::default()
    };
    let ci = vec!["test".to_string(), "lint".to_string(), "build".to_string()];
    assert_eq!(
        ci_gaps(Some(&current), &ci),
        vec![
            ProtectionGap::CiCheckNotRequired {
                check: "lint".into()
            },
            ProtectionGap::CiCheckNotRequired {
                check: "build".into()
            },
        ]
    );
    assert!(ci_gaps(None, &ci).is_empty(), "Unprotected says it all");
    let put = with_ci_and_production(body(Some(&current), CHECK, 1, None), &ci, false);
    assert_eq!(
        put["required_status_checks"]["checks"],
        json!([{"context": "test", "app_id": 777}, {"context": "lint", "app_id": 15368},
               {"context": CHECK}, {"context": "build", "app_id": 15368}])
    );
    assert_eq!(
        put["enforce_admins"], false,
        "the default branch keeps its own"
    );
}

#[test]
fn production_takes_no_force_push_no_deletion_and_binds_admins() {
    let lax = BranchProtection {
        allow_force_pushes: Some(Enabled { enabled: true }),
        allow_deletions: Some(Enabled { enabled: true }),
        ..BranchProtection::default()
    };
    assert_eq!(
        production_gaps(Some(&lax)),
        vec![
            ProtectionGap::ForcePushesAllowed,
            ProtectionGap::DeletionsAllowed,
            ProtectionGap::AdminsNotEnforced
        ]
    );
    let put = with_ci_and_production(body(Some(&lax), CHECK, 1, None), &[], true);
    assert_eq!(put["allow_force_pushes"], false);
    assert_eq!(put["allow_deletions"], false);
    assert_eq!(put["enforce_admins"], true);
}
