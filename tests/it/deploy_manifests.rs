//! The Kubernetes manifests in `deploy/kubernetes/` parse as their API types, and say what the
//! service needs: two replicas electing a leader, the App key from a Secret, RBAC for Jobs and
//! the Lease, and a config that shiprig accepts.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};

fn load<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/deploy/kubernetes/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_deployment_runs_two_replicas_that_elect_a_leader() {
    let deployment: Deployment = load("deployment.yml");
    let spec = deployment.spec.unwrap();
    assert_eq!(spec.replicas, Some(2));
    let pod = spec.template.spec.unwrap();
    let container = &pod.containers[0];
    let args = container.args.clone().unwrap();
    assert_eq!(&args[..2], ["conductor", "run"]);
    assert!(args.contains(&"--lease".to_string()));
    let env = container.env.clone().unwrap();
    let from_secret = |name: &str| {
        env.iter().any(|e| {
            e.name == name
                && e.value_from
                    .as_ref()
                    .and_then(|v| v.secret_key_ref.as_ref())
                    .is_some()
        })
    };
    assert!(from_secret("SHIPRIG_APP_ID") && from_secret("SHIPRIG_APP_PRIVATE_KEY"));
    assert!(
        env.iter().any(|e| e.name == "POD_NAME"),
        "the Lease identity"
    );
    assert_eq!(
        container
            .readiness_probe
            .as_ref()
            .unwrap()
            .http_get
            .as_ref()
            .unwrap()
            .path
            .as_deref(),
        Some("/readyz"),
        "readiness follows leadership: only the leader takes deliveries"
    );
    assert_eq!(
        spec.strategy.unwrap().type_.as_deref(),
        Some("Recreate"),
        "a new pod cannot become ready while an old one leads"
    );
    assert!(from_secret("SHIPRIG_WEBHOOK_SECRET"), "the webhook secret");
    assert_eq!(
        pod.service_account_name.as_deref(),
        Some("shiprig-conductor")
    );
}

#[test]
fn rbac_covers_jobs_and_the_lease_and_nothing_more() {
    let role: Role = load("role.yml");
    let rules = role.rules.unwrap();
    let groups: Vec<String> = rules
        .iter()
        .flat_map(|r| r.api_groups.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        groups,
        vec!["batch".to_string(), "coordination.k8s.io".to_string()]
    );
    assert!(
        rules
            .iter()
            .all(|r| !r.verbs.contains(&"delete".to_string())),
        "finished Jobs are left to their TTL"
    );
    let binding: RoleBinding = load("rolebinding.yml");
    assert_eq!(binding.role_ref.name, "shiprig-conductor");
    let account: ServiceAccount = load("serviceaccount.yml");
    assert_eq!(account.metadata.name.as_deref(), Some("shiprig-conductor"));
    let secret: Secret = load("secret.yml");
    assert!(secret.string_data.unwrap().contains_key("private-key"));
}

#[test]
fn the_configmap_holds_a_valid_config_and_job_template() {
    let map: ConfigMap = load("configmap.yml");
    let data = map.data.unwrap();
    let config = shiprig::config::Config::from_yaml("configmap", &data["shiprig.yml"]).unwrap();
    assert_eq!(config.conductor.repositories.len(), 2);
    let job: k8s_openapi::api::batch::v1::Job =
        serde_saphyr::from_str(&data["agent-job.yml"]).unwrap();
    assert_eq!(job.spec.unwrap().template.spec.unwrap().containers.len(), 1);
}

#[test]
fn a_service_exposes_the_webhook_on_the_pods_port() {
    let service: Service = load("service.yml");
    let deployment: Deployment = load("deployment.yml");
    let spec = service.spec.unwrap();
    let template = deployment.spec.unwrap().template;
    let labels = template.metadata.unwrap().labels.unwrap();
    for (key, value) in spec.selector.unwrap() {
        assert_eq!(
            labels.get(&key),
            Some(&value),
            "the Service selects the pods"
        );
    }
    let port = &spec.ports.unwrap()[0];
    let target = match port.target_port.as_ref().unwrap() {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(name) => name.clone(),
        other => panic!("a named port, got {other:?}"),
    };
    let container = &template.spec.unwrap().containers[0];
    let ports = container.ports.clone().unwrap();
    assert!(
        ports
            .iter()
            .any(|p| p.name.as_deref() == Some(target.as_str()))
    );
    let secret: Secret = load("secret.yml");
    assert!(secret.string_data.unwrap().contains_key("webhook-secret"));
}
