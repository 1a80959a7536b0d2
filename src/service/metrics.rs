//! Prometheus metrics for `conductor run`, in the text exposition format (prometheus-client).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TickLabels {
    pub(crate) repository: String,
    pub(crate) result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabels {
    pub(crate) kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RepoLabels {
    pub(crate) repository: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub(crate) result: String,
}

/// An App installation's budget is per account: the repository owner.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct InstallationLabels {
    pub(crate) installation: String,
}

/// Everything the service exports: the Prometheus metrics, and the last tick of every
/// repository for the status page.
pub struct Metrics {
    registry: Registry,
    pub(crate) ticks: Family<TickLabels, Counter>,
    pub(crate) effects: Family<KindLabels, Counter>,
    pub(crate) requests: Family<KindLabels, Counter>,
    pub(crate) rate_limit_remaining: Family<RepoLabels, Gauge>,
    pub(crate) last_success: Gauge<f64, AtomicU64>,
    pub(crate) leader: Gauge,
    pub board: std::sync::Arc<super::status::Board>,
    pub(crate) webhook: WebhookMetrics,
}

/// Deliveries, prompted ticks and the budget of each installation.
pub(crate) struct WebhookMetrics {
    pub(crate) deliveries: Family<ResultLabels, Counter>,
    pub(crate) prompted_ticks: Counter,
    pub(crate) points: Family<InstallationLabels, Counter>,
    pub(crate) not_modified: Family<InstallationLabels, Counter>,
    pub(crate) remaining: Family<InstallationLabels, Gauge>,
    pub(crate) repositories: Family<InstallationLabels, Gauge>,
}

impl WebhookMetrics {
    fn register(registry: &mut Registry) -> WebhookMetrics {
        let metrics = WebhookMetrics {
            deliveries: Family::default(),
            prompted_ticks: Counter::default(),
            points: Family::default(),
            not_modified: Family::default(),
            remaining: Family::default(),
            repositories: Family::default(),
        };
        let m = &metrics;
        registry.register(
            "shiprig_webhook_deliveries",
            "Webhook deliveries by result (accepted, ignored, replayed, unsigned, too_large, malformed, timeout, follower)",
            m.deliveries.clone(),
        );
        registry.register(
            "shiprig_prompted_ticks",
            "Repository ticks started by a webhook delivery rather than the loop",
            m.prompted_ticks.clone(),
        );
        registry.register(
            "shiprig_installation_points",
            "GitHub rate-limit points spent (every request but a 304), by installation",
            m.points.clone(),
        );
        registry.register(
            "shiprig_installation_not_modified",
            "Reads answered 304 Not Modified (free), by installation",
            m.not_modified.clone(),
        );
        registry.register(
            "shiprig_installation_rate_limit_remaining",
            "GitHub's x-ratelimit-remaining as last seen, by installation",
            m.remaining.clone(),
        );
        registry.register(
            "shiprig_installation_repositories",
            "Repositories ticked, by installation",
            m.repositories.clone(),
        );
        metrics
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let ticks = Family::<TickLabels, Counter>::default();
        registry.register(
            "shiprig_ticks",
            "Conductor ticks by repository and result",
            ticks.clone(),
        );
        let effects = Family::<KindLabels, Counter>::default();
        registry.register(
            "shiprig_effects",
            "Effects applied, by kind",
            effects.clone(),
        );
        let requests = Family::<KindLabels, Counter>::default();
        registry.register(
            "shiprig_github_requests",
            "GitHub requests, by kind (read, write, retry)",
            requests.clone(),
        );
        let rate_limit_remaining = Family::<RepoLabels, Gauge>::default();
        registry.register(
            "shiprig_rate_limit_remaining",
            "GitHub's x-ratelimit-remaining as last seen, by repository",
            rate_limit_remaining.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "shiprig_last_successful_tick_timestamp_seconds",
            "Unix time of the last loop in which every repository ticked",
            last_success.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "shiprig_leader",
            "1 when this replica holds the lease",
            leader.clone(),
        );
        let webhook = WebhookMetrics::register(&mut registry);
        Metrics {
            webhook,
            registry,
            ticks,
            effects,
            requests,
            rate_limit_remaining,
            last_success,
            leader,
            board: Default::default(),
        }
    }
}

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
