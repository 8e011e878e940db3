//! The objects of a release on Kubernetes, typed by `k8s-openapi` (issue 12, point 2): its
//! `Namespace`, a `ConfigMap` and a `Secret` named by their content's hash (a change of either
//! is a new pod template, so a rollout; the objects of the release before stay for its pods
//! and for a rollback), a `Deployment` that never takes a replica away before its successor is
//! available, a `Service`, an `Ingress` (TLS through cert-manager's annotation), a
//! `HorizontalPodAutoscaler` when it autoscales, and a `PodDisruptionBudget`.

use std::collections::BTreeMap;

use gmac_core::ports::KubeRelease;
use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, Container, ContainerPort, EnvFromSource, HTTPGetAction,
    Namespace, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, Secret, SecretEnvSource,
    SecurityContext, Service, ServicePort, ServiceSpec, TCPSocketAction,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::{Digest, Sha256};

/// The name of the service's own container in its pods.
pub const CONTAINER: &str = "app";
/// The pod template's annotation that holds its configuration's hash.
pub const CONFIG_HASH: &str = "gmac.io/config-hash";

/// The pod template's annotation that holds the environment's last restart.
pub const RESTARTED_AT: &str = "gmac.io/restarted-at";

/// The port the Service answers on.
const SERVICE_PORT: i32 = 80;

/// A release's objects, in the order they are applied.
#[derive(Clone, Debug)]
pub struct Manifests {
    /// The environment's namespace.
    pub namespace: Namespace,
    /// Its plain variables.
    pub config_map: ConfigMap,
    /// Its secrets.
    pub secret: Secret,
    /// Its pods.
    pub deployment: Deployment,
    /// Its address inside the cluster.
    pub service: Service,
    /// Its host names, when it has any.
    pub ingress: Option<Ingress>,
    /// Its autoscaling, when it autoscales.
    pub autoscaler: Option<HorizontalPodAutoscaler>,
    /// How many of its pods a drain may take at once.
    pub disruption_budget: PodDisruptionBudget,
}

impl Manifests {
    /// Every object as JSON, in the order applied (for a check by the real schemas).
    pub fn to_json(&self) -> Vec<serde_json::Value> {
        let mut all = vec![
            to_value(&self.namespace),
            to_value(&self.config_map),
            to_value(&self.secret),
            to_value(&self.service),
            to_value(&self.deployment),
        ];
        all.extend(self.ingress.as_ref().map(to_value));
        all.extend(self.autoscaler.as_ref().map(to_value));
        all.push(to_value(&self.disruption_budget));
        all
    }
}

fn to_value(object: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(object).unwrap_or_default()
}

/// The first 10 hex digits of the SHA-256 of what names the configuration: its versions when
/// given (so the name tells nothing of a value), else its variables and secrets, names and
/// values (a name moved between the two counts).
pub fn config_hash(release: &KubeRelease) -> String {
    let mut hash = Sha256::new();
    if !release.config_version.is_empty() {
        hash.update(release.config_version.as_bytes());
        return hex::encode(hash.finalize())[..10].to_owned();
    }
    for (kind, map) in [("env", &release.env), ("secret", &release.secrets)] {
        for (name, value) in map {
            for part in [kind, name.as_str(), value.as_str()] {
                hash.update(part.len().to_be_bytes());
                hash.update(part.as_bytes());
            }
        }
    }
    hex::encode(hash.finalize())[..10].to_owned()
}

fn meta(release: &KubeRelease, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(release.namespace.clone()),
        labels: Some(release.labels.clone()),
        ..ObjectMeta::default()
    }
}

fn quantity(value: &str) -> Quantity {
    Quantity(value.to_owned())
}

/// The health probe: `GET` of the health path, or the port accepting connections.
fn probe(release: &KubeRelease, period: i32, failures: i32) -> Probe {
    let port = IntOrString::Int(i32::from(release.container_port));
    let (http_get, tcp_socket) = match &release.health_path {
        Some(path) => (
            Some(HTTPGetAction {
                path: Some(path.clone()),
                port,
                ..HTTPGetAction::default()
            }),
            None,
        ),
        None => (
            None,
            Some(TCPSocketAction {
                port,
                ..TCPSocketAction::default()
            }),
        ),
    };
    Probe {
        http_get,
        tcp_socket,
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        timeout_seconds: Some(2),
        ..Probe::default()
    }
}

fn container(release: &KubeRelease, config: &str, secret: &str) -> Container {
    let r = &release.resources;
    Container {
        name: CONTAINER.to_owned(),
        image: Some(release.image.clone()),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: i32::from(release.container_port),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        env_from: Some(vec![
            EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: config.to_owned(),
                    optional: Some(false),
                }),
                ..EnvFromSource::default()
            },
            EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: secret.to_owned(),
                    optional: Some(false),
                }),
                ..EnvFromSource::default()
            },
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), quantity(&r.cpu_request)),
                ("memory".to_owned(), quantity(&r.memory_request)),
            ])),
            limits: Some(BTreeMap::from([
                ("cpu".to_owned(), quantity(&r.cpu_limit)),
                ("memory".to_owned(), quantity(&r.memory_limit)),
            ])),
            ..ResourceRequirements::default()
        }),
        readiness_probe: Some(probe(release, 2, 3)),
        liveness_probe: Some(probe(release, 10, 6)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// The pod template's annotations: the configuration's hash, and the last restart's time.
fn template_annotations(release: &KubeRelease, hash: &str) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::from([(CONFIG_HASH.to_owned(), hash.to_owned())]);
    if let Some(at) = &release.restarted_at {
        annotations.insert(RESTARTED_AT.to_owned(), at.clone());
    }
    annotations
}

fn deployment(release: &KubeRelease, hash: &str, config: &str, secret: &str) -> Deployment {
    let mut pod_labels = release.labels.clone();
    pod_labels.extend(release.selector.clone());
    Deployment {
        metadata: meta(release, &release.name),
        spec: Some(DeploymentSpec {
            // An autoscaled Deployment's replicas are the autoscaler's to set: applying them
            // would take them back from it on every deploy.
            replicas: release.autoscale.is_none().then_some(release.replicas),
            selector: LabelSelector {
                match_labels: Some(release.selector.clone()),
                ..LabelSelector::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            progress_deadline_seconds: Some(release.progress_deadline_secs),
            revision_history_limit: Some(10),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: Some(template_annotations(release, hash)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container(release, config, secret)],
                    automount_service_account_token: Some(false),
                    termination_grace_period_seconds: Some(30),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

fn ingress(release: &KubeRelease) -> Option<Ingress> {
    if release.hosts.is_empty() {
        return None;
    }
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: release.name.clone(),
            port: Some(ServiceBackendPort {
                number: Some(SERVICE_PORT),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    };
    let rules = release
        .hosts
        .iter()
        .map(|host| IngressRule {
            host: Some(host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: vec![HTTPIngressPath {
                    path: Some("/".to_owned()),
                    path_type: "Prefix".to_owned(),
                    backend: backend.clone(),
                }],
            }),
        })
        .collect();
    let mut metadata = meta(release, &release.name);
    // A certificate authority issues nothing for `.localhost`: TLS covers the other names.
    let tls_hosts: Vec<String> = release
        .hosts
        .iter()
        .filter(|h| !h.ends_with(".localhost"))
        .cloned()
        .collect();
    let tls = release
        .tls_issuer
        .as_ref()
        .filter(|_| !tls_hosts.is_empty())
        .map(|issuer| {
            metadata.annotations = Some(BTreeMap::from([(
                "cert-manager.io/cluster-issuer".to_owned(),
                issuer.clone(),
            )]));
            vec![IngressTLS {
                hosts: Some(tls_hosts.clone()),
                secret_name: Some(format!("{}-tls", release.name)),
            }]
        });
    Some(Ingress {
        metadata,
        spec: Some(IngressSpec {
            rules: Some(rules),
            tls,
            ingress_class_name: release.ingress_class.clone(),
            ..IngressSpec::default()
        }),
        status: None,
    })
}

fn autoscaler(release: &KubeRelease) -> Option<HorizontalPodAutoscaler> {
    let bounds = release.autoscale.as_ref()?;
    Some(HorizontalPodAutoscaler {
        metadata: meta(release, &release.name),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "Deployment".to_owned(),
                name: release.name.clone(),
            },
            min_replicas: Some(bounds.min),
            max_replicas: bounds.max,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(bounds.cpu_percent),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        status: None,
    })
}

/// The release's objects.
pub fn manifests(release: &KubeRelease) -> Manifests {
    let hash = config_hash(release);
    let config = format!("{}-env-{hash}", release.name);
    let secret = format!("{}-secrets-{hash}", release.name);
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(release.namespace.clone()),
            labels: Some(release.labels.clone()).map(|mut labels| {
                labels.retain(|k, _| k != "gmac.io/release" && k != "gmac.io/release-number");
                labels
            }),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Manifests {
        namespace,
        config_map: ConfigMap {
            metadata: meta(release, &config),
            data: Some(release.env.clone()),
            immutable: Some(true),
            ..ConfigMap::default()
        },
        secret: Secret {
            metadata: meta(release, &secret),
            data: Some(
                release
                    .secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            type_: Some("Opaque".to_owned()),
            immutable: Some(true),
            ..Secret::default()
        },
        deployment: deployment(release, &hash, &config, &secret),
        service: Service {
            metadata: meta(release, &release.name),
            spec: Some(ServiceSpec {
                selector: Some(release.selector.clone()),
                ports: Some(vec![ServicePort {
                    name: Some("http".to_owned()),
                    port: SERVICE_PORT,
                    target_port: Some(IntOrString::String("http".to_owned())),
                    protocol: Some("TCP".to_owned()),
                    ..ServicePort::default()
                }]),
                ..ServiceSpec::default()
            }),
            status: None,
        },
        ingress: ingress(release),
        autoscaler: autoscaler(release),
        disruption_budget: PodDisruptionBudget {
            metadata: meta(release, &release.name),
            spec: Some(PodDisruptionBudgetSpec {
                // One pod at a time, whatever the count: a single replica may still be moved
                // off a node being drained.
                max_unavailable: Some(IntOrString::Int(1)),
                selector: Some(LabelSelector {
                    match_labels: Some(release.selector.clone()),
                    ..LabelSelector::default()
                }),
                ..PodDisruptionBudgetSpec::default()
            }),
            status: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use gmac_core::ports::KubeAutoscale;

    use super::*;

    fn release() -> KubeRelease {
        KubeRelease {
            namespace: "gmac-web-staging".to_owned(),
            name: "web".to_owned(),
            config_version: String::new(),
            image: "127.0.0.1:5000/web@sha256:abc".to_owned(),
            container_port: 8080,
            env: BTreeMap::from([("MODE".to_owned(), "fast".to_owned())]),
            secrets: BTreeMap::from([("TOKEN".to_owned(), "s3cret-value".to_owned())]),
            labels: BTreeMap::from([
                ("gmac.io/service".to_owned(), "web".to_owned()),
                ("gmac.io/release".to_owned(), "r1".to_owned()),
            ]),
            selector: BTreeMap::from([("gmac.io/service".to_owned(), "web".to_owned())]),
            hosts: vec!["web.example.test".to_owned()],
            tls_issuer: Some("letsencrypt".to_owned()),
            ingress_class: None,
            health_path: Some("/healthz".to_owned()),
            replicas: 2,
            autoscale: None,
            resources: gmac_core::ports::KubeResources::default(),
            progress_deadline_secs: 120,
            restarted_at: None,
        }
    }

    #[test]
    fn a_change_of_configuration_is_a_new_pod_template_and_new_config_objects() {
        let one = manifests(&release());
        let mut changed = release();
        changed
            .secrets
            .insert("TOKEN".to_owned(), "another".to_owned());
        let two = manifests(&changed);
        let hash = |m: &Manifests| {
            m.deployment
                .spec
                .as_ref()
                .unwrap()
                .template
                .metadata
                .as_ref()
                .unwrap()
                .annotations
                .as_ref()
                .unwrap()[CONFIG_HASH]
                .clone()
        };
        assert_ne!(hash(&one), hash(&two));
        assert_ne!(one.secret.metadata.name, two.secret.metadata.name);
        // The same configuration is the same hash: a redeploy of it changes nothing.
        assert_eq!(hash(&one), hash(&manifests(&release())));
        // A value moved from a variable to a secret is a change too.
        let mut moved = release();
        moved
            .env
            .insert("TOKEN".to_owned(), "s3cret-value".to_owned());
        moved.secrets.clear();
        assert_ne!(config_hash(&moved), config_hash(&release()));
        // Named by versions, the name says nothing of a value: the hash is the versions'.
        let mut versioned = release();
        versioned.config_version = "variables:3;TOKEN:2".to_owned();
        let mut next = versioned.clone();
        next.config_version = "variables:3;TOKEN:3".to_owned();
        assert_ne!(config_hash(&versioned), config_hash(&next));
        next.secrets.insert("TOKEN".to_owned(), "guess".to_owned());
        next.config_version = versioned.config_version.clone();
        assert_eq!(config_hash(&versioned), config_hash(&next));
    }

    #[test]
    fn an_autoscaled_deployment_leaves_its_replicas_to_the_autoscaler() {
        let fixed = manifests(&release());
        assert_eq!(fixed.deployment.spec.as_ref().unwrap().replicas, Some(2));
        assert!(fixed.autoscaler.is_none());
        let mut scaled = release();
        scaled.autoscale = Some(KubeAutoscale {
            min: 2,
            max: 6,
            cpu_percent: 70,
        });
        let m = manifests(&scaled);
        assert_eq!(m.deployment.spec.as_ref().unwrap().replicas, None);
        let hpa = serde_json::to_value(m.autoscaler.unwrap()).unwrap();
        assert_eq!(hpa["spec"]["maxReplicas"], 6);
        assert_eq!(
            hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            70
        );
    }

    #[test]
    fn the_ingress_asks_cert_manager_for_its_hosts_certificate() {
        let m = manifests(&release());
        let ingress = serde_json::to_value(m.ingress.unwrap()).unwrap();
        assert_eq!(
            ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
            "letsencrypt"
        );
        assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], "web.example.test");
        assert_eq!(ingress["spec"]["rules"][0]["host"], "web.example.test");
        assert!(
            ingress["spec"].get("ingressClassName").is_none(),
            "the cluster's default class"
        );
        let mut classed = release();
        classed.ingress_class = Some("nginx".to_owned());
        let ingress = serde_json::to_value(manifests(&classed).ingress.unwrap()).unwrap();
        assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
        let mut plain = release();
        plain.hosts.clear();
        assert!(manifests(&plain).ingress.is_none());
    }

    #[test]
    fn the_json_has_each_objects_kind_and_the_secret_only_base64_encoded() {
        let all = manifests(&release()).to_json();
        let kinds: Vec<_> = all.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ConfigMap",
                "Secret",
                "Service",
                "Deployment",
                "Ingress",
                "PodDisruptionBudget"
            ]
        );
        let text = serde_json::to_string(&all).unwrap();
        assert!(!text.contains("s3cret-value"), "{text}");
        assert!(text.contains("czNjcmV0LXZhbHVl"));
    }
}
