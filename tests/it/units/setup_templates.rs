//! `shiprig::setup::templates`, through its public API.

use shiprig::setup::templates::*;

#[test]
fn every_phase_config_is_valid_and_grows() {
    let mut previous = 0;
    for phase in PHASES {
        let text = config_text(phase);
        let config = shiprig::config::Config::from_yaml("init.yml", &text)
            .unwrap_or_else(|e| panic!("phase {phase}: {e}"));
        assert_eq!(config.deploy.contains_key("production"), phase >= 2);
        // Phase 3: an author agent and a review agent, each its own GitHub user.
        assert_eq!(config.conductor.agents.len(), 2 * usize::from(phase >= 3));
        assert_eq!(
            config.conductor.review_agent.as_deref(),
            (phase >= 3).then_some("reviewer")
        );
        assert!(config.conductor.agents.iter().all(|a| a.login.is_some()));
        assert_eq!(config.product.clickup.is_some(), phase >= 4);
        assert!(files_for(phase).len() >= previous);
        previous = files_for(phase).len();
    }
}

#[test]
fn init_pins_the_action_to_this_build() {
    for (path, text) in WORKFLOWS.iter().filter(|(_, t)| t.contains("/shiprig@")) {
        assert!(text.contains(TEMPLATE_PIN), "{path}");
    }
    let written: String = files_for(3).into_iter().map(|f| f.content).collect();
    assert!(!written.contains(TEMPLATE_PIN));
    let pin = shiprig::build_info::action_ref();
    assert!(written.contains(&format!("uses: {pin}\n")), "{pin}");
    if shiprig::build_info::commit_known() {
        assert!(pin.contains(shiprig::build_info::COMMIT), "{pin}");
    }
}

#[test]
fn each_phase_writes_one_deploy_workflow() {
    for phase in PHASES {
        let files = files_for(phase);
        let deploys = files.iter().filter(|f| f.path == DEPLOY.0).count();
        assert_eq!(deploys, 1, "phase {phase}");
        let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), files.len(), "phase {phase}: a path twice");
    }
}
