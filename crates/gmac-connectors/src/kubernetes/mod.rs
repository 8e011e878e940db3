//! Kubernetes clusters as deploy targets (issue 12, points 1 and 2), through `kube`: a
//! release's objects applied server-side with field manager `gmac`, and its rollout followed
//! to the truth by a watch on its Deployment ([`rollout`]), with the pods' reasons when it
//! fails.
//!
//! A target's kubeconfig is taken only with its credentials inline: no `exec` or
//! `auth-provider` plugin (each would run a program on gmac's host), no file paths (each would
//! read gmac's own files), no proxy, no `insecure-skip-tls-verify`, and plain http only on
//! loopback. Its API server must pass the egress policy, and the address the policy allowed is
//! the one connected to. kube's own retries are off (the job retries) and every call is
//! bounded in time.

pub mod manifests;
pub mod rollout;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{Cluster, ImageBuildError, KubeOutcome, KubeRelease, OutputLine, PodState};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use manifests::{Manifests, manifests};
pub use rollout::{RolloutState, pod_reasons, pod_state, rollout_state};

/// The field manager gmac applies as.
pub const FIELD_MANAGER: &str = "gmac";

/// Why a kubeconfig is not taken, or `None` when it is: parsed, with a current context whose
/// cluster and user exist, and nothing that runs a program, reads a file or goes through a
/// proxy. Answers the API server's URL when taken.
pub fn check_kubeconfig(text: &str) -> Result<String, String> {
    let config = Kubeconfig::from_yaml(text).map_err(|e| format!("it is not a kubeconfig: {e}"))?;
    let context_name = config
        .current_context
        .clone()
        .ok_or("it names no current-context")?;
    let context = config
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
        .ok_or_else(|| format!("its current-context {context_name} is not among its contexts"))?;
    for named in &config.clusters {
        let Some(cluster) = &named.cluster else {
            continue;
        };
        if cluster.certificate_authority.is_some() {
            return Err(format!(
                "cluster {}: give certificate-authority-data inline, not a file path",
                named.name
            ));
        }
        if cluster.proxy_url.is_some() {
            return Err(format!("cluster {}: a proxy-url is not taken", named.name));
        }
        if cluster.insecure_skip_tls_verify == Some(true) {
            return Err(format!(
                "cluster {}: insecure-skip-tls-verify would send its credentials to whoever answers; give certificate-authority-data",
                named.name
            ));
        }
    }
    for named in &config.auth_infos {
        let Some(user) = &named.auth_info else {
            continue;
        };
        let why = if user.exec.is_some() {
            Some(
                "an exec plugin runs a program on gmac's host; give a token or a client certificate inline",
            )
        } else if user.auth_provider.is_some() {
            Some("an auth-provider is not taken; give a token or a client certificate inline")
        } else if user.token_file.is_some()
            || user.client_certificate.is_some()
            || user.client_key.is_some()
        {
            Some("give the token or the client certificate and key inline, not as file paths")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(format!("user {}: {why}", named.name));
        }
    }
    let server = config
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .ok_or_else(|| format!("its context's cluster {} has no server", context.cluster))?;
    let url = url::Url::parse(&server).map_err(|e| format!("its server {server}: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(format!("its server {server} is not an http(s) URL"));
    }
    // Plain HTTP would send the credentials in clear: only to this host itself.
    if url.scheme() == "http" && !loopback(&url) {
        return Err(format!(
            "its server {server} is plain http: only https is taken (http only on loopback)"
        ));
    }
    Ok(server.trim_end_matches('/').to_owned())
}

/// Whether `url` names this host itself.
fn loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The longest line of a pod's output kept; the rest of a longer one is dropped.
const MAX_LINE: u64 = 16 * 1024;

/// The longest one call to the API server may take (a watch has its own bound).
const CALL: Duration = Duration::from_secs(30);

/// `call`, bounded by [`CALL`].
async fn bounded<T>(
    what: &str,
    call: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, ImageBuildError> {
    match tokio::time::timeout(CALL, call).await {
        Ok(done) => done.map_err(|e| failed(what, &e)),
        Err(_) => Err(ImageBuildError::Unavailable(format!(
            "{what}: the API server did not answer within {} s",
            CALL.as_secs()
        ))),
    }
}

/// The connector: clients made per call from the kubeconfig given, bound by the egress policy.
#[derive(Debug)]
pub struct KubeCluster {
    egress: Arc<EgressPolicy>,
}

impl KubeCluster {
    /// A connector whose API servers pass `egress`.
    pub fn new(egress: Arc<EgressPolicy>) -> Self {
        Self { egress }
    }

    /// A client for the kubeconfig, once it is taken and its server may be reached.
    async fn client(&self, kubeconfig: &str) -> Result<kube::Client, ImageBuildError> {
        let refused = ImageBuildError::Failed;
        let server = check_kubeconfig(kubeconfig).map_err(refused)?;
        let url = url::Url::parse(&server).map_err(|e| refused(e.to_string()))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        // The address the egress policy allowed is the one connected to: a name that resolves
        // elsewhere by the time of the connection (rebinding) is not looked up again.
        let ip = self
            .egress
            .resolve(&host)
            .await
            .map_err(|denied| refused(format!("gmac may not connect there: {denied}")))?
            .into_iter()
            .next()
            .ok_or_else(|| refused(format!("{host} has no address")))?;
        let parsed = Kubeconfig::from_yaml(kubeconfig).map_err(|e| refused(e.to_string()))?;
        let mut config =
            kube::Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default())
                .await
                .map_err(|e| refused(format!("the kubeconfig: {e}")))?;
        let mut pinned = url.clone();
        pinned
            .set_ip_host(ip)
            .map_err(|()| refused(format!("{server}: no host to pin")))?;
        config.cluster_url = pinned
            .as_str()
            .parse()
            .map_err(|e| refused(format!("{server}: {e}")))?;
        if config.tls_server_name.is_none()
            && host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_err()
        {
            config.tls_server_name = Some(host);
        }
        config.connect_timeout = Some(Duration::from_secs(5));
        // No read timeout (a quiet watch is not a dead one; each call has its own bound), and
        // none of kube's own retries (an API server's Retry-After would hold the job as long
        // as it says): the job retries.
        config.read_timeout = None;
        config.default_retry = false;
        config.proxy_url = None;
        kube::Client::try_from(config).map_err(|e| refused(format!("the kubeconfig: {e}")))
    }

    /// A failure with the pods' reasons and the warnings about them added; a success as is.
    async fn explain(
        client: &kube::Client,
        namespace: &str,
        release_id: &str,
        outcome: KubeOutcome,
    ) -> KubeOutcome {
        let KubeOutcome::Failed(why) = outcome else {
            return outcome;
        };
        // The release's own pods say why (the old release's serve).
        let selector = format!("gmac.io/release={release_id}");
        let pods: Vec<Pod> = bounded(
            "listing the pods",
            Api::<Pod>::namespaced(client.clone(), namespace)
                .list(&ListParams::default().labels(&selector)),
        )
        .await
        .map(|l| l.items)
        .unwrap_or_default();
        let mut events = Vec::new();
        let event_api = Api::<Event>::namespaced(client.clone(), namespace);
        for pod in pods.iter().take(5) {
            let selector = format!("involvedObject.name={}", name_of(&pod.metadata));
            if let Ok(list) = bounded(
                "listing the events",
                event_api.list(&ListParams::default().fields(&selector)),
            )
            .await
            {
                events.extend(list.items);
            }
        }
        let reasons = pod_reasons(&pods, &events);
        KubeOutcome::Failed(if reasons.is_empty() {
            why
        } else {
            format!("{why}; {}", reasons.join("; "))
        })
    }
}

/// A call's error, as the step that made it says it: the API server's refusals (4xx but 429)
/// are the release's fault, anything else is worth another try.
fn failed(what: &str, e: &kube::Error) -> ImageBuildError {
    match e {
        kube::Error::Api(status) if status.code == 409 => ImageBuildError::Failed(format!(
            "{what}: another field manager owns what gmac sets ({}); gmac does not take it over: remove that manager's change, or its fields, and deploy again",
            status.message
        )),
        kube::Error::Api(status) if (400..500).contains(&status.code) && status.code != 429 => {
            ImageBuildError::Failed(format!("{what}: {} ({})", status.message, status.code))
        }
        other => ImageBuildError::Unavailable(format!(
            "{what}: the API server: {}",
            crate::error_chain(other)
        )),
    }
}

/// Applies `object` as gmac, answering what the server kept.
async fn apply<K>(api: &Api<K>, name: &str, object: &K) -> Result<K, ImageBuildError>
where
    K: kube::Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    apply_with(api, name, object, PatchParams::apply(FIELD_MANAGER)).await
}

/// Applies `object` with `params` (gmac's, forced or not).
async fn apply_with<K>(
    api: &Api<K>,
    name: &str,
    object: &K,
    params: PatchParams,
) -> Result<K, ImageBuildError>
where
    K: kube::Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    bounded(
        &format!("applying {name}"),
        api.patch(name, &params, &Patch::Apply(object)),
    )
    .await
}

/// Deletes the autoscaler gmac made for `name` (autoscaling switched off), if there is one;
/// one gmac did not make, or may not see, is left. Answers whether one was deleted.
async fn drop_autoscaler(
    api: &Api<HorizontalPodAutoscaler>,
    name: &str,
) -> Result<bool, ImageBuildError> {
    let found = match bounded("reading the autoscaler", api.get_opt(name)).await {
        Ok(found) => found,
        // Not the kubeconfig's to see: not gmac's either.
        Err(ImageBuildError::Failed(_)) => None,
        Err(e) => return Err(e),
    };
    let ours = found.is_some_and(|hpa| {
        hpa.metadata.labels.is_some_and(|l| {
            l.get("app.kubernetes.io/managed-by").map(String::as_str) == Some("gmac")
        })
    });
    if !ours {
        return Ok(false);
    }
    match bounded(
        "deleting the autoscaler",
        api.delete(name, &DeleteParams::default()),
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(ImageBuildError::Failed(why)) if why.contains("(404)") => Ok(false),
        Err(e) => Err(e),
    }
}

/// A deletion's outcome, an object already gone being no error.
fn gone_or<T>(result: Result<T, ImageBuildError>) -> Result<(), ImageBuildError> {
    match result {
        Ok(_) => Ok(()),
        Err(ImageBuildError::Failed(why)) if why.contains("(404)") => Ok(()),
        Err(e) => Err(e),
    }
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

#[async_trait::async_trait]
impl Cluster for KubeCluster {
    fn server(&self, kubeconfig: &str) -> Result<String, String> {
        check_kubeconfig(kubeconfig)
    }

    async fn probe(&self, kubeconfig: &str) -> Result<String, String> {
        let server = check_kubeconfig(kubeconfig)?;
        let client = self.client(kubeconfig).await.map_err(|e| e.to_string())?;
        let info = bounded("asking its version", client.apiserver_version())
            .await
            .map_err(|e| format!("the API server at {server}: {e}"))?;
        let version: String = info
            .git_version
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect();
        Ok(format!("Kubernetes {version} at {server}"))
    }

    async fn apply(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<i64, ImageBuildError> {
        let client = self.client(kubeconfig).await?;
        let m = manifests(release);
        let ns = release.namespace.as_str();
        // Set when gmac's autoscaler was removed: the replicas it set are taken back.
        let mut took_back = false;
        apply(&Api::<Namespace>::all(client.clone()), ns, &m.namespace).await?;
        log(format!("namespace {ns} applied"));
        let here = |c: &kube::Client| c.clone();
        let kept = apply(
            &Api::namespaced(here(&client), ns),
            &name_of(&m.config_map.metadata),
            &m.config_map,
        )
        .await?;
        log(format!("configmap {} applied", name_of(&kept.metadata)));
        let kept = apply(
            &Api::namespaced(here(&client), ns),
            &name_of(&m.secret.metadata),
            &m.secret,
        )
        .await?;
        // Its values are never logged: only its name.
        log(format!(
            "secret {} applied ({} keys)",
            name_of(&kept.metadata),
            release.secrets.len()
        ));
        apply(
            &Api::namespaced(here(&client), ns),
            &release.name,
            &m.service,
        )
        .await?;
        log(format!("service {} applied", release.name));
        if let Some(ingress) = &m.ingress {
            apply(&Api::namespaced(here(&client), ns), &release.name, ingress).await?;
            log(format!(
                "ingress {} applied for {}",
                release.name,
                release.hosts.join(", ")
            ));
        }
        if let Some(hpa) = &m.autoscaler {
            apply(&Api::namespaced(here(&client), ns), &release.name, hpa).await?;
            log(format!("horizontalpodautoscaler {} applied", release.name));
        } else {
            took_back = drop_autoscaler(&Api::namespaced(here(&client), ns), &release.name).await?;
            if took_back {
                log(format!("horizontalpodautoscaler {} deleted", release.name));
            }
        }
        apply(
            &Api::namespaced(here(&client), ns),
            &release.name,
            &m.disruption_budget,
        )
        .await?;
        log(format!("poddisruptionbudget {} applied", release.name));
        // The Deployment last: a refusal of anything before it leaves the pods as they were.
        let params = if took_back {
            PatchParams::apply(FIELD_MANAGER).force()
        } else {
            PatchParams::apply(FIELD_MANAGER)
        };
        let deployment = apply_with(
            &Api::namespaced(here(&client), ns),
            &release.name,
            &m.deployment,
            params,
        )
        .await?;
        let generation = deployment.metadata.generation.unwrap_or(0);
        log(format!(
            "deployment {} applied: generation {generation}, image {}",
            release.name, release.image
        ));
        Ok(generation)
    }

    async fn follow(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
        generation: i64,
        wait: Duration,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<KubeOutcome, ImageBuildError> {
        let client = self.client(kubeconfig).await?;
        let (namespace, name) = (release.namespace.as_str(), release.name.as_str());
        let release_id = release
            .labels
            .get("gmac.io/release")
            .cloned()
            .unwrap_or_default();
        let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let until = tokio::time::Instant::now() + wait;
        let mut said = String::new();
        let mut tell = |line: String| {
            if line != said {
                log(line.clone());
                said = line;
            }
        };
        loop {
            let current = bounded("reading the deployment", api.get(name)).await?;
            if let Some(outcome) = judge(&current, generation, &release_id, &mut tell) {
                return Ok(Self::explain(&client, namespace, &release_id, outcome).await);
            }
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                let outcome = KubeOutcome::Failed(format!(
                    "it did not finish within {} s: {said}",
                    wait.as_secs()
                ));
                return Ok(Self::explain(&client, namespace, &release_id, outcome).await);
            }
            let version = current
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default();
            let params = WatchParams::default()
                .fields(&format!("metadata.name={name}"))
                .timeout(u32::try_from(left.as_secs().clamp(1, 290)).unwrap_or(290));
            let stream = bounded("watching the deployment", api.watch(&params, &version)).await?;
            let mut stream = stream.boxed();
            let mut seen = 0_u32;
            // Each change is judged; an ended or broken watch starts again from a fresh read.
            while let Ok(Ok(Some(event))) = tokio::time::timeout_at(until, stream.try_next()).await
            {
                seen += 1;
                let (WatchEvent::Added(d) | WatchEvent::Modified(d)) = event else {
                    if matches!(event, WatchEvent::Deleted(_)) {
                        return Ok(KubeOutcome::Failed("its deployment was deleted".to_owned()));
                    }
                    // A bookmark or an expired version: read it again.
                    break;
                };
                if let Some(outcome) = judge(&d, generation, &release_id, &mut tell) {
                    return Ok(Self::explain(&client, namespace, &release_id, outcome).await);
                }
            }
            if seen == 0 {
                // A watch that ends at once is not asked again at once.
                tokio::time::sleep(Duration::from_secs(1).min(left)).await;
            }
        }
    }

    async fn prune_config(
        &self,
        kubeconfig: &str,
        release: &KubeRelease,
    ) -> Result<Vec<String>, ImageBuildError> {
        let client = self.client(kubeconfig).await?;
        let m = manifests(release);
        let ns = release.namespace.as_str();
        // Only what gmac made for this service's environment.
        let mut selector = vec!["app.kubernetes.io/managed-by=gmac".to_owned()];
        selector.extend(release.selector.iter().map(|(k, v)| format!("{k}={v}")));
        let params = ListParams::default().labels(&selector.join(","));
        let mut deleted = Vec::new();
        let configs: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        let keep = name_of(&m.config_map.metadata);
        let prefix = format!("{}-env-", release.name);
        for item in bounded("listing the configmaps", configs.list(&params)).await? {
            let name = name_of(&item.metadata);
            if name.starts_with(&prefix) && name != keep {
                gone_or(
                    bounded(
                        "deleting a configmap",
                        configs.delete(&name, &DeleteParams::default()),
                    )
                    .await,
                )?;
                deleted.push(format!("configmap {name}"));
            }
        }
        let secrets: Api<Secret> = Api::namespaced(client, ns);
        let keep = name_of(&m.secret.metadata);
        let prefix = format!("{}-secrets-", release.name);
        for item in bounded("listing the secrets", secrets.list(&params)).await? {
            let name = name_of(&item.metadata);
            if name.starts_with(&prefix) && name != keep {
                gone_or(
                    bounded(
                        "deleting a secret",
                        secrets.delete(&name, &DeleteParams::default()),
                    )
                    .await,
                )?;
                deleted.push(format!("secret {name}"));
            }
        }
        Ok(deleted)
    }

    async fn delete_namespace(
        &self,
        kubeconfig: &str,
        namespace: &str,
    ) -> Result<(), ImageBuildError> {
        let client = self.client(kubeconfig).await?;
        let api = Api::<Namespace>::all(client);
        match tokio::time::timeout(CALL, api.delete(namespace, &DeleteParams::background())).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(kube::Error::Api(status))) if status.code == 404 => Ok(()),
            Ok(Err(e)) => Err(failed(&format!("deleting namespace {namespace}"), &e)),
            Err(_) => Err(ImageBuildError::Unavailable(format!(
                "deleting namespace {namespace}: the API server did not answer within {} s",
                CALL.as_secs()
            ))),
        }
    }

    async fn pods(
        &self,
        kubeconfig: &str,
        namespace: &str,
        release_id: &str,
    ) -> Result<Vec<PodState>, ImageBuildError> {
        let client = self.client(kubeconfig).await?;
        let selector = format!("gmac.io/release={release_id}");
        let listed = match bounded(
            "listing the pods",
            Api::<Pod>::namespaced(client, namespace)
                .list(&ListParams::default().labels(&selector)),
        )
        .await
        {
            Ok(list) => list.items,
            // No namespace (yet, or any more): no pods.
            Err(ImageBuildError::Failed(why)) if why.ends_with("(404)") => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut pods: Vec<PodState> = listed.iter().map(pod_state).collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(pods)
    }

    async fn pod_logs(
        &self,
        kubeconfig: &str,
        namespace: &str,
        pod: &str,
        tail: u32,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<OutputLine>,
    ) -> Result<(), ImageBuildError> {
        use futures_util::{AsyncBufReadExt as _, AsyncReadExt as _};
        let client = self.client(kubeconfig).await?;
        let params = kube::api::LogParams {
            // The service's own container, whatever a mesh or an agent injected beside it.
            container: Some(manifests::CONTAINER.to_owned()),
            follow,
            tail_lines: Some(i64::from(tail)),
            timestamps: true,
            ..kube::api::LogParams::default()
        };
        let what = format!("reading pod {pod}'s output");
        let api = Api::<Pod>::namespaced(client, namespace);
        let stream = bounded(&what, api.log_stream(pod, &params)).await?;
        // Bytes, not text: a line that is not UTF-8 is shown as well as it can be, and a line
        // longer than a bound is cut (the rest of it is read and dropped).
        let mut stream = std::pin::pin!(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            // A client that leaves ends the reading at once, even while the pod is quiet.
            let mut bounded_line = (&mut stream).take(MAX_LINE);
            let read = tokio::select! {
                read = bounded_line.read_until(b'\n', &mut line) => read,
                () = sink.closed() => return Ok(()),
            };
            let read = read.map_err(|e| ImageBuildError::Unavailable(format!("{what}: {e}")))?;
            if read == 0 {
                return Ok(());
            }
            if line.last() != Some(&b'\n') && u64::try_from(read).unwrap_or(u64::MAX) >= MAX_LINE {
                // Cut: the rest of the line is read, a bounded part at a time, and dropped.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let more = (&mut stream)
                        .take(MAX_LINE)
                        .read_until(b'\n', &mut rest)
                        .await
                        .map_err(|e| ImageBuildError::Unavailable(format!("{what}: {e}")))?;
                    if more == 0 || rest.last() == Some(&b'\n') {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&line);
            if sink
                .send(crate::deploy::output_line(false, &text))
                .await
                .is_err()
            {
                return Ok(());
            }
        }
    }
}

/// The outcome a Deployment shows for the `generation` applied for release `release_id`, if
/// it has one; progress goes to `tell`. A later generation of the same template (an
/// autoscaler's change of replicas) counts as this one's; a template of another release is
/// someone else's change.
fn judge(
    deployment: &Deployment,
    generation: i64,
    release_id: &str,
    tell: &mut impl FnMut(String),
) -> Option<KubeOutcome> {
    if deployment.metadata.generation.unwrap_or(0) < generation {
        tell("the API server answers an older generation; waiting".to_owned());
        return None;
    }
    let running = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.as_ref())
        .and_then(|l| l.get("gmac.io/release"));
    if running.is_some_and(|id| id != release_id) {
        return Some(KubeOutcome::Failed(
            "the Deployment was changed to another release's template meanwhile".to_owned(),
        ));
    }
    match rollout_state(deployment) {
        RolloutState::Waiting(what) => {
            tell(format!("waiting: {what}"));
            None
        }
        RolloutState::Done {
            generation,
            available,
        } => Some(KubeOutcome::Done {
            generation,
            available,
        }),
        RolloutState::Failed(why) => Some(KubeOutcome::Failed(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.9:6443/
    certificate-authority-data: LS0tLS1CRUdJTg==
users:
- name: gmac
  user:
    token: abc
contexts:
- name: prod
  context: {cluster: prod, user: gmac, namespace: default}
current-context: prod
";

    #[test]
    fn a_kubeconfig_is_taken_only_with_inline_credentials() {
        assert_eq!(
            check_kubeconfig(KUBECONFIG).unwrap(),
            "https://10.0.0.9:6443"
        );
        let exec = KUBECONFIG.replace(
            "    token: abc\n",
            "    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, id]}\n",
        );
        assert!(check_kubeconfig(&exec).unwrap_err().contains("exec plugin"));
        let file = KUBECONFIG.replace("    token: abc\n", "    tokenFile: /etc/shadow\n");
        assert!(check_kubeconfig(&file).unwrap_err().contains("file paths"));
        let ca = KUBECONFIG.replace(
            "certificate-authority-data: LS0tLS1CRUdJTg==",
            "certificate-authority: /etc/ssl/ca.pem",
        );
        assert!(
            check_kubeconfig(&ca)
                .unwrap_err()
                .contains("certificate-authority-data")
        );
        let lost = KUBECONFIG.replace("current-context: prod", "current-context: other");
        assert!(
            check_kubeconfig(&lost)
                .unwrap_err()
                .contains("not among its contexts")
        );
        assert!(check_kubeconfig("{").is_err());
        let insecure = KUBECONFIG.replace(
            "certificate-authority-data: LS0tLS1CRUdJTg==",
            "insecure-skip-tls-verify: true",
        );
        assert!(
            check_kubeconfig(&insecure)
                .unwrap_err()
                .contains("insecure-skip-tls-verify")
        );
        let clear = KUBECONFIG.replace("https://10.0.0.9:6443/", "http://10.0.0.9:8080");
        assert!(check_kubeconfig(&clear).unwrap_err().contains("plain http"));
        let local = KUBECONFIG.replace("https://10.0.0.9:6443/", "http://127.0.0.1:8080");
        assert_eq!(check_kubeconfig(&local).unwrap(), "http://127.0.0.1:8080");
        let ftp = KUBECONFIG.replace("https://10.0.0.9:6443/", "ftp://x");
        assert!(
            check_kubeconfig(&ftp)
                .unwrap_err()
                .contains("not an http(s) URL")
        );
    }
}
