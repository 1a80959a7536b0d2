//! `shiprig::setup::workflows`, through its public API.

use shiprig::setup::templates;
use shiprig::setup::workflows::*;

#[test]
fn the_templates_read_as_what_they_run() {
    let gate = read("g", templates::GATE.1).unwrap();
    assert!(gate.runs("gate") && gate.on("pull_request_target") && gate.on("merge_group"));
    let conductor = read("c", templates::CONDUCTOR.1).unwrap();
    assert!(conductor.runs("conductor tick") && conductor.has_schedule);
    let monitor = read("m", templates::MONITOR.1).unwrap();
    assert!(monitor.runs("smoke production") && monitor.has_schedule);
    let deploy = read("d", templates::DEPLOY.1).unwrap();
    assert!(deploy.runs("deploy staging") && deploy.runs("release-pr"));
    assert!(!deploy.has_schedule);
    assert!(read("x", "on: [push\n").is_err());
}
