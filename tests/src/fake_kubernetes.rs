//! A fake Kubernetes API server, named as a fake: no API server (nor kind, k3s or minikube) can
//! run here, so gmac's tests deploy to this instead, through the same `kube` client and the same
//! HTTP calls a real cluster answers. It keeps state as a cluster does: objects with their
//! `resourceVersion`, `uid`, `generation` and `managedFields`, namespaces that must exist before
//! what goes in them, server-side apply by field manager (with its conflicts), lists and watches
//! filtered by label and field selectors, and errors as `Status` objects.
//!
//! A stand-in for the deployment controller, the kubelet and the scheduler moves each
//! `Deployment` along a timeline scripted by its first container's image: an image naming
//! `crashloop` crashes, one naming `pullfail` cannot be pulled, any other becomes available.
//! Its status stays stale (the old `observedGeneration`) for 400 ms after a change of spec, as a
//! real controller's does for a moment, so a client that ignores `observedGeneration` is caught.
//! It accepts one bearer token and refuses any other.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::convert::Infallible;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

/// The bearer token the fake accepts.
pub const TOKEN: &str = "gmac-fake-kubernetes-token-0123456789";

/// The media type of a server-side apply.
const APPLY_TYPE: &str = "application/apply-patch+yaml";
/// The plural of namespaces.
const NAMESPACES: &str = "namespaces";
/// The plural of deployments.
const DEPLOYMENTS: &str = "deployments";
/// The plural of pods.
const PODS: &str = "pods";
/// The plural of events.
const EVENTS: &str = "events";
/// How often the fake controller moves deployments along.
const TICK: Duration = Duration::from_millis(100);
/// How long a deployment's status stays stale after a change of its spec.
const STALE: Duration = Duration::from_millis(400);
/// When a healthy rollout's new pods are all available.
const READY: Duration = Duration::from_millis(900);
/// How many past changes a watch can resume from.
const HISTORY: usize = 5_000;

/// A running fake Kubernetes API server.
pub struct FakeKubernetes {
    /// `http://127.0.0.1:<port>`.
    url: String,
    /// The cluster's state, shared with the server and the controller.
    state: Arc<State>,
}

impl FakeKubernetes {
    /// Starts it on a free loopback port, with its controller (call inside a tokio runtime).
    pub fn start() -> Self {
        let listener = crate::loopback::listener();
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("the bound address").port()
        );
        let state = Arc::new(State {
            store: Mutex::new(Store::new()),
            applied: Mutex::new(Vec::new()),
            following: std::sync::atomic::AtomicUsize::new(0),
            hushed: std::sync::atomic::AtomicBool::new(false),
        });
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(handle))
        })
        .workers(2)
        .listen(listener)
        .expect("listening")
        .run();
        tokio::spawn(server);
        tokio::spawn(control(state.clone()));
        Self { url, state }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A kubeconfig for the fake: cluster `fake`, user `gmac` with [`TOKEN`], and the context
    /// `fake` (namespace `default`) as the current one.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {url}\n\
             users:\n- name: gmac\n  user:\n    token: {TOKEN}\ncontexts:\n- name: fake\n  context:\n    \
             cluster: fake\n    user: gmac\n    namespace: default\ncurrent-context: fake\n\
             preferences: {{}}\n",
            url = self.url
        )
    }

    /// Every object body received by a server-side apply over HTTP, in order, as sent.
    pub fn applied(&self) -> Vec<Value> {
        self.state
            .applied
            .lock()
            .expect("the applied objects")
            .clone()
    }

    /// The stored object, with the server's metadata and its status, if any; `kind_plural` is
    /// the resource's plural (`deployments`, `services`, …). The namespace is ignored for
    /// cluster-scoped kinds (`namespaces`).
    pub fn object(&self, kind_plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let kind = kind_of(kind_plural)?;
        let namespace = if kind.namespaced { namespace } else { "" };
        let store = self.state.store.lock().expect("the store");
        store
            .objects
            .get(&key(kind.plural, namespace, name))
            .map(|stored| stored.object.clone())
    }

    /// From now on, followed pods end no more lines after their first ones (each writes a
    /// space now and then, a line it never ends).
    pub fn hush(&self) {
        self.state
            .hushed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many followed pod logs are open now (a client that left closes its own).
    pub fn following(&self) -> usize {
        self.state
            .following
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The names of the namespaces that exist (`default` and the `kube-` ones from the start).
    pub fn namespaces(&self) -> Vec<String> {
        let store = self.state.store.lock().expect("the store");
        store
            .objects
            .keys()
            .filter(|k| k.0 == NAMESPACES)
            .map(|k| k.2.clone())
            .collect()
    }

    /// A server-side apply as another field manager (as `kubectl apply --server-side` would),
    /// through the same code as the HTTP handler: answers the HTTP status and the body.
    pub fn apply_as(
        &self,
        manager: &str,
        kind_plural: &str,
        namespace: &str,
        name: &str,
        body: Value,
        force: bool,
    ) -> (u16, Value) {
        let Some(kind) = kind_of(kind_plural) else {
            return (404, Failure::unknown().body());
        };
        let namespace = if kind.namespaced { namespace } else { "" };
        let to = ApplyTo {
            kind,
            namespace,
            name,
            manager,
            force,
        };
        apply(&self.state, &to, body).unwrap_or_else(|failure| (failure.code, failure.body()))
    }
}

/// A kind of object the fake serves.
struct Kind {
    /// The resource's plural, as in URLs.
    plural: &'static str,
    /// The kind, as in `kind`.
    name: &'static str,
    /// `group/version`, or `v1` for the core group.
    api_version: &'static str,
    /// Whether it lives in a namespace.
    namespaced: bool,
}

impl Kind {
    /// A kind.
    const fn new(
        plural: &'static str,
        name: &'static str,
        api_version: &'static str,
        namespaced: bool,
    ) -> Self {
        Self {
            plural,
            name,
            api_version,
            namespaced,
        }
    }

    /// Its API group (empty for the core group).
    fn group(&self) -> &'static str {
        self.api_version
            .split_once('/')
            .map_or("", |(group, _)| group)
    }

    /// `plural.group`, as in messages.
    fn resource(&self) -> String {
        match self.group() {
            "" => self.plural.to_owned(),
            group => format!("{}.{group}", self.plural),
        }
    }

    /// `Kind.group`, as in validation messages.
    fn qualified(&self) -> String {
        match self.group() {
            "" => self.name.to_owned(),
            group => format!("{}.{group}", self.name),
        }
    }
}

/// The kinds the fake serves.
static KINDS: [Kind; 10] = [
    Kind::new(NAMESPACES, "Namespace", "v1", false),
    Kind::new("configmaps", "ConfigMap", "v1", true),
    Kind::new("secrets", "Secret", "v1", true),
    Kind::new("services", "Service", "v1", true),
    Kind::new(PODS, "Pod", "v1", true),
    Kind::new(EVENTS, "Event", "v1", true),
    Kind::new(DEPLOYMENTS, "Deployment", "apps/v1", true),
    Kind::new("ingresses", "Ingress", "networking.k8s.io/v1", true),
    Kind::new(
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        "autoscaling/v2",
        true,
    ),
    Kind::new(
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        "policy/v1",
        true,
    ),
];

/// The kind of a plural, if the fake serves it.
fn kind_of(plural: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|kind| kind.plural == plural)
}

/// The kind of a plural the fake serves.
fn known(plural: &str) -> &'static Kind {
    kind_of(plural).expect("a kind the fake serves")
}

/// An object path: the keys from the root (`["spec", "replicas"]`).
type Path = Vec<String>;

/// The key of a stored object: plural, namespace (empty when cluster-scoped) and name.
type Key = (&'static str, String, String);

/// The key of an object.
fn key(plural: &'static str, namespace: &str, name: &str) -> Key {
    (plural, namespace.to_owned(), name.to_owned())
}

/// The query of a request.
type Query = HashMap<String, String>;

/// The fake's state, shared by its handlers and its controller.
struct State {
    /// The objects and their history.
    store: Mutex<Store>,
    /// The bodies of the applies received over HTTP.
    applied: Mutex<Vec<Value>>,
    /// How many followed pod logs are open now.
    following: std::sync::atomic::AtomicUsize,
    /// Whether followed pods write no heartbeats (quiet, as a worker between jobs).
    hushed: std::sync::atomic::AtomicBool,
}

/// One followed pod log, counted while its response is open.
struct Following(Arc<State>);

impl Following {
    fn new(state: Arc<State>) -> Self {
        state
            .following
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        self.0
            .following
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The handlers' view of the state.
type Shared = web::Data<Arc<State>>;

/// A field manager's part in an object.
#[derive(Clone)]
struct Manager {
    /// Its name (`gmac`, `kubectl`).
    name: String,
    /// When it last changed something.
    time: String,
    /// The `apiVersion` it applied with.
    api_version: &'static str,
    /// The leaf fields it owns.
    paths: BTreeSet<Path>,
}

/// A set of pods the fake controller made for one generation of a deployment.
#[derive(Clone)]
struct PodSet {
    /// The deployment's generation.
    generation: i64,
    /// How many pods.
    replicas: u64,
    /// Whether they are all running and ready.
    ready: bool,
    /// When they were made.
    started: chrono::DateTime<chrono::Utc>,
}

/// Where a deployment's rollout is.
#[derive(Clone)]
struct Rollout {
    /// When its spec last changed.
    since: Instant,
    /// Its pods, oldest generation first.
    sets: Vec<PodSet>,
}

impl Rollout {
    /// A rollout starting now.
    fn new() -> Self {
        Self {
            since: Instant::now(),
            sets: Vec::new(),
        }
    }
}

/// A stored object and the server's knowledge of it.
#[derive(Clone)]
struct Stored {
    /// The object, as answered.
    object: Value,
    /// Its field managers.
    managers: Vec<Manager>,
    /// Its rollout, for a deployment.
    rollout: Option<Rollout>,
}

impl Stored {
    /// An object without managers nor rollout.
    fn plain(object: Value) -> Self {
        Self {
            object,
            managers: Vec::new(),
            rollout: None,
        }
    }
}

/// A change, as watchers see it.
struct Change {
    /// The `resourceVersion` it made.
    version: u64,
    /// The plural of the object's kind.
    plural: &'static str,
    /// The object's namespace (empty when cluster-scoped).
    namespace: String,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    event: &'static str,
    /// The object after the change (before it, for a deletion).
    object: Value,
}

/// The objects, the `resourceVersion` counter and the recent changes.
struct Store {
    /// The last `resourceVersion` given.
    version: u64,
    /// Every object.
    objects: BTreeMap<Key, Stored>,
    /// The last changes, oldest first.
    history: VecDeque<Arc<Change>>,
    /// The history holds every change after this `resourceVersion`.
    floor: u64,
    /// Where watchers hear of changes.
    sender: broadcast::Sender<Arc<Change>>,
}

impl Store {
    /// A cluster with its usual namespaces.
    fn new() -> Self {
        let (sender, _) = broadcast::channel(4096);
        let mut store = Self {
            version: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            floor: 0,
            sender,
        };
        let kind = known(NAMESPACES);
        for name in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            store.save(kind, "", name, Stored::plain(fresh(kind)));
        }
        store
    }

    /// Stores an object: fills the server's metadata (keeping the old `uid` and creation time)
    /// and, unless nothing changed, bumps the `resourceVersion` and tells the watchers. Answers
    /// the stored object.
    fn save(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        mut stored: Stored,
    ) -> Value {
        let wanted = key(kind.plural, namespace, name);
        let old = self
            .objects
            .get(&wanted)
            .map(|s| s.object["metadata"].clone());
        if !stored.object.is_object() {
            stored.object = json!({});
        }
        let fields = (!stored.managers.is_empty()).then(|| managed_fields(&stored.managers));
        let map = stored
            .object
            .as_object_mut()
            .expect("an object, made so above");
        map.insert("apiVersion".to_owned(), kind.api_version.into());
        map.insert("kind".to_owned(), kind.name.into());
        let metadata = child(map, "metadata");
        let kept = |field: &str| old.as_ref().and_then(|m| m.get(field)).cloned();
        metadata.insert("name".to_owned(), name.into());
        if kind.namespaced {
            metadata.insert("namespace".to_owned(), namespace.into());
        }
        let uid = kept("uid").unwrap_or_else(|| uuid::Uuid::now_v7().to_string().into());
        metadata.insert("uid".to_owned(), uid);
        let created = kept("creationTimestamp").unwrap_or_else(|| now_text().into());
        metadata.insert("creationTimestamp".to_owned(), created);
        if !metadata.contains_key("generation") {
            let generation = kept("generation").unwrap_or_else(|| Value::from(1));
            metadata.insert("generation".to_owned(), generation);
        }
        let version = kept("resourceVersion").unwrap_or(Value::Null);
        metadata.insert("resourceVersion".to_owned(), version);
        if let Some(fields) = fields {
            metadata.insert("managedFields".to_owned(), fields);
        } else {
            metadata.remove("managedFields");
        }
        let existed = old.is_some();
        if self
            .objects
            .get(&wanted)
            .is_some_and(|s| s.object == stored.object)
        {
            let object = stored.object.clone();
            self.objects.insert(wanted, stored);
            return object;
        }
        self.version += 1;
        let map = stored.object.as_object_mut().expect("an object");
        child(map, "metadata").insert(
            "resourceVersion".to_owned(),
            self.version.to_string().into(),
        );
        let object = stored.object.clone();
        self.objects.insert(wanted, stored);
        let event = if existed { "MODIFIED" } else { "ADDED" };
        self.publish(kind.plural, namespace, event, object.clone());
        object
    }

    /// Removes an object, telling the watchers; answers it.
    fn remove(&mut self, wanted: &Key) -> Option<Value> {
        let stored = self.objects.remove(wanted)?;
        self.version += 1;
        let mut object = stored.object;
        if let Some(map) = object.as_object_mut() {
            child(map, "metadata").insert(
                "resourceVersion".to_owned(),
                self.version.to_string().into(),
            );
        }
        self.publish(wanted.0, &wanted.1, "DELETED", object.clone());
        Some(object)
    }

    /// Records a change in the history and sends it to the watchers.
    fn publish(
        &mut self,
        plural: &'static str,
        namespace: &str,
        event: &'static str,
        object: Value,
    ) {
        let change = Arc::new(Change {
            version: self.version,
            plural,
            namespace: namespace.to_owned(),
            event,
            object,
        });
        self.history.push_back(change.clone());
        while self.history.len() > HISTORY {
            if let Some(dropped) = self.history.pop_front() {
                self.floor = dropped.version;
            }
        }
        // Nobody may be watching.
        let _ = self.sender.send(change);
    }

    /// The objects a list or watch selects.
    fn matching(&self, filter: &Filter) -> Vec<&Value> {
        self.objects
            .iter()
            .filter(|(k, s)| filter.matches(k.0, &k.1, &s.object))
            .map(|(_, s)| &s.object)
            .collect()
    }

    /// Moves every deployment along its rollout.
    fn tick(&mut self, now: Instant) {
        let deployments: Vec<(String, String)> = self
            .objects
            .keys()
            .filter(|k| k.0 == DEPLOYMENTS)
            .map(|k| (k.1.clone(), k.2.clone()))
            .collect();
        for (namespace, name) in deployments {
            self.advance(&namespace, &name, now);
        }
    }

    /// Moves a deployment along: its pods, their events and its status.
    fn advance(&mut self, namespace: &str, name: &str, now: Instant) {
        let Some(stored) = self
            .objects
            .get(&key(DEPLOYMENTS, namespace, name))
            .cloned()
        else {
            return;
        };
        let Some(mut rollout) = stored.rollout.clone() else {
            return;
        };
        let elapsed = now.saturating_duration_since(rollout.since);
        if elapsed < STALE {
            return;
        }
        let plan = Plan::of(name, &stored.object);
        if rollout
            .sets
            .last()
            .is_none_or(|set| set.generation != plan.generation)
        {
            rollout.sets.push(PodSet {
                generation: plan.generation,
                replicas: plan.replicas,
                ready: false,
                started: chrono::Utc::now(),
            });
        }
        let finished = plan.outcome == Outcome::Healthy && elapsed >= READY;
        if finished {
            let keep = rollout.sets.len().saturating_sub(1);
            let older: Vec<PodSet> = rollout.sets.drain(..keep).collect();
            for set in &older {
                self.remove_pods(namespace, name, set);
            }
        }
        if let Some(current) = rollout.sets.last_mut() {
            current.ready |= finished;
        }
        let Some((current, older)) = rollout.sets.split_last() else {
            return;
        };
        self.sync_pods(namespace, name, &plan, current, elapsed);
        let progress = Progress {
            elapsed,
            finished: current.ready,
            old_total: older.iter().map(|set| set.replicas).sum(),
            old_available: older
                .iter()
                .filter(|set| set.ready)
                .map(|set| set.replicas)
                .sum(),
        };
        let mut object = stored.object;
        let status = deployment_status(&object["status"], &plan, &progress);
        object["status"] = status;
        let stored = Stored {
            object,
            managers: stored.managers,
            rollout: Some(rollout),
        };
        self.save(known(DEPLOYMENTS), namespace, name, stored);
    }

    /// Makes the pods of a set as they should be now (and their warning events).
    fn sync_pods(
        &mut self,
        namespace: &str,
        deployment: &str,
        plan: &Plan,
        set: &PodSet,
        elapsed: Duration,
    ) {
        for index in 0..set.replicas {
            let pod = pod_name(deployment, set.generation, index);
            let object = pod_object(namespace, &pod, plan, set, index, elapsed);
            self.save(known(PODS), namespace, &pod, Stored::plain(object));
            if plan.outcome != Outcome::Healthy && !set.ready {
                let (name, event) = event_object(namespace, &pod, plan, set, elapsed);
                self.save(known(EVENTS), namespace, &name, Stored::plain(event));
            }
        }
    }

    /// Deletes the pods of a set.
    fn remove_pods(&mut self, namespace: &str, deployment: &str, set: &PodSet) {
        for index in 0..set.replicas {
            let pod = pod_name(deployment, set.generation, index);
            self.remove(&key(PODS, namespace, &pod));
        }
    }
}

/// An error answered as Kubernetes does: a `Status` object.
struct Failure {
    /// The HTTP status.
    code: u16,
    /// The machine-readable reason (`NotFound`, `Conflict`, …).
    reason: &'static str,
    /// The message.
    message: String,
    /// The details, or null.
    details: Value,
}

impl Failure {
    /// A failure without details.
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// An object that does not exist.
    fn not_found(kind: &Kind, name: &str) -> Self {
        Self {
            details: json!({"name": name, "group": kind.group(), "kind": kind.plural}),
            ..Self::new(
                404,
                "NotFound",
                format!("{} \"{name}\" not found", kind.resource()),
            )
        }
    }

    /// A path the fake does not serve.
    fn unknown() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// A malformed request.
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// An object that fails validation.
    fn invalid(kind: &Kind, name: &str, field: &str, detail: &str) -> Self {
        Self {
            details: json!({
                "name": name, "group": kind.group(), "kind": kind.name,
                "causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}]
            }),
            ..Self::new(
                422,
                "Invalid",
                format!(
                    "{} \"{name}\" is invalid: {field}: {detail}",
                    kind.qualified()
                ),
            )
        }
    }

    /// An apply whose fields other managers own with other values.
    fn conflict(to: &ApplyTo<'_>, found: &[(String, Path)]) -> Self {
        let field = |path: &Path| format!(".{}", path.join("."));
        let causes: Vec<Value> = found
            .iter()
            .map(|(manager, path)| {
                json!({
                    "reason": "FieldManagerConflict",
                    "message": format!("conflict with \"{manager}\": {}", field(path)),
                    "field": field(path)
                })
            })
            .collect();
        let text = if let [(manager, path)] = found {
            format!("conflict with \"{manager}\": {}", field(path))
        } else {
            let mut managers: Vec<&str> = Vec::new();
            for (manager, _) in found {
                if !managers.contains(&manager.as_str()) {
                    managers.push(manager);
                }
            }
            let parts: Vec<String> = managers
                .iter()
                .map(|manager| {
                    let paths: Vec<String> = found
                        .iter()
                        .filter(|(other, _)| other.as_str() == *manager)
                        .map(|(_, path)| format!("- {}", field(path)))
                        .collect();
                    format!("conflicts with \"{manager}\":\n{}", paths.join("\n"))
                })
                .collect();
            parts.join("\n")
        };
        let count = found.len();
        let noun = if count == 1 { "conflict" } else { "conflicts" };
        Self {
            details: json!({
                "name": to.name, "group": to.kind.group(), "kind": to.kind.plural, "causes": causes
            }),
            ..Self::new(
                409,
                "Conflict",
                format!("Apply failed with {count} {noun}: {text}"),
            )
        }
    }

    /// The `Status` object.
    fn body(&self) -> Value {
        let mut body = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code
        });
        if !self.details.is_null() {
            body["details"] = self.details.clone();
        }
        body
    }

    /// The HTTP answer.
    fn response(&self) -> HttpResponse {
        HttpResponse::build(status_code(self.code)).json(self.body())
    }
}

/// An HTTP status from its number.
fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The answer of a handler's result.
fn respond(result: Result<(u16, Value), Failure>) -> HttpResponse {
    match result {
        Ok((code, body)) => HttpResponse::build(status_code(code)).json(body),
        Err(failure) => failure.response(),
    }
}

/// What a request's path names.
struct Target {
    /// The kind.
    kind: &'static Kind,
    /// The namespace (empty for a cluster-scoped kind, or a list across namespaces).
    namespace: String,
    /// The object's name, or none for the collection.
    name: Option<String>,
}

/// The target of an API path, if the fake serves it.
fn route(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ((*version).to_owned(), rest),
        ["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
        _ => return None,
    };
    let (namespace, plural, name) = match rest {
        [plural] => ("", *plural, None),
        [plural, name] => ("", *plural, Some(*name)),
        ["namespaces", namespace, plural] => (*namespace, *plural, None),
        ["namespaces", namespace, plural, name] => (*namespace, *plural, Some(*name)),
        _ => return None,
    };
    let kind = KINDS
        .iter()
        .find(|kind| kind.plural == plural && kind.api_version == version)?;
    let scoped = kind.namespaced || namespace.is_empty();
    let addressable = !kind.namespaced || name.is_none() || !namespace.is_empty();
    (scoped && addressable && name != Some("")).then(|| Target {
        kind,
        namespace: namespace.to_owned(),
        name: name.map(str::to_owned),
    })
}

/// Whether a request carries the good bearer token.
fn authorized(request: &HttpRequest) -> bool {
    request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| token == TOKEN)
}

/// Every request: the version, then the API's objects.
async fn handle(request: HttpRequest, body: web::Bytes, state: Shared) -> HttpResponse {
    if !authorized(&request) {
        return Failure::new(401, "Unauthorized", "Unauthorized").response();
    }
    if request.path() == "/version" {
        return HttpResponse::Ok().json(version());
    }
    if let ["api", "v1", "namespaces", namespace, "pods", pod, "log"] = request
        .path()
        .trim_matches('/')
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
        && request.method() == actix_web::http::Method::GET
    {
        let query: Query = url::form_urlencoded::parse(request.query_string().as_bytes())
            .into_owned()
            .collect();
        return pod_log(state.get_ref(), namespace, pod, &query);
    }
    let Some(target) = route(request.path()) else {
        return Failure::unknown().response();
    };
    let query: Query = url::form_urlencoded::parse(request.query_string().as_bytes())
        .into_owned()
        .collect();
    let watching = query
        .get("watch")
        .is_some_and(|watch| watch == "true" || watch == "1");
    let result = match (request.method().as_str(), target.name.as_deref()) {
        ("GET", Some(name)) => get(&state, &target, name),
        ("GET", None) if watching => return watch(&state, &target, &query),
        ("GET", None) => Ok((200, list(&state, &target, &query))),
        ("PATCH", Some(name)) => apply_request(&state, &request, &target, name, &query, &body),
        ("DELETE", Some(name)) => delete(&state, target.kind, &target.namespace, name),
        _ => Err(Failure::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )),
    };
    respond(result)
}

/// How often a followed pod writes a heartbeat.
const HEARTBEAT: Duration = Duration::from_millis(200);

/// `GET …/namespaces/{namespace}/pods/{pod}/log` (`tailLines`, `timestamps`, `follow`): what
/// the pod's container wrote, as a kubelet serves it. The fake's container writes its
/// configuration as it starts, as a careless app does (every variable of the `ConfigMap` and
/// `Secret` its pod takes, so a reader's masking is seen at work), then that it listens (or,
/// crash-looping, why it exits); followed, a heartbeat every 200 ms until the pod goes. A
/// container that waits to start (being created, or its image not pulled) has no output: 400,
/// as a kubelet answers.
fn pod_log(state: &Arc<State>, namespace: &str, pod: &str, query: &Query) -> HttpResponse {
    let store = state.store.lock().expect("the store");
    let Some(object) = store
        .objects
        .get(&key(PODS, namespace, pod))
        .map(|stored| stored.object.clone())
    else {
        return Failure::new(404, "NotFound", format!("pods \"{pod}\" not found")).response();
    };
    let status = &object["status"]["containerStatuses"][0];
    let container = status["name"].as_str().unwrap_or("app").to_owned();
    if let Some(asked) = query.get("container")
        && *asked != container
    {
        let message = format!("container {asked} is not valid for pod {pod}");
        return Failure::new(400, "BadRequest", message).response();
    }
    if let Some(reason) = status["state"]["waiting"]["reason"].as_str()
        && reason != "CrashLoopBackOff"
    {
        let message =
            format!("container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}");
        return Failure::new(400, "BadRequest", message).response();
    }
    let spec = &object["spec"]["containers"][0];
    let mut written = vec![format!(
        "starting {}",
        spec["image"].as_str().unwrap_or_default()
    )];
    written.extend(configuration_lines(&store, namespace, spec));
    let crashing = status["state"]["waiting"]["reason"] == "CrashLoopBackOff";
    if crashing {
        written.push("fatal: cannot start, exiting with code 1".to_owned());
    } else {
        let port = spec["ports"][0]["containerPort"].as_i64().unwrap_or(8080);
        written.push(format!("listening on :{port}"));
    }
    drop(store);
    let stamps = query.get("timestamps").is_some_and(|t| t == "true");
    let stamp = move |line: &str| {
        if stamps {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            format!("{now} {line}\n")
        } else {
            format!("{line}\n")
        }
    };
    let tail = query
        .get("tailLines")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let skip = written.len().saturating_sub(tail);
    let first: String = written[skip..].iter().map(|line| stamp(line)).collect();
    let follow = query.get("follow").is_some_and(|f| f == "true") && !crashing;
    if !follow {
        return HttpResponse::Ok().content_type("text/plain").body(first);
    }
    // Followed: the first lines, then a heartbeat while the pod is there (none once hushed).
    let watched = (namespace.to_owned(), pod.to_owned());
    let shared = state.clone();
    let open = Arc::new(Following::new(state.clone()));
    let beats = futures_util::stream::unfold(0_u64, move |beat| {
        let shared = shared.clone();
        let open = open.clone();
        let (namespace, pod) = watched.clone();
        async move {
            if beat > 0 {
                tokio::time::sleep(HEARTBEAT).await;
            }
            let there = shared
                .store
                .lock()
                .expect("the store")
                .objects
                .contains_key(&key(PODS, &namespace, &pod));
            let _counted = &open;
            let quiet = shared.hushed.load(std::sync::atomic::Ordering::SeqCst);
            there.then(|| {
                let line = if beat == 0 {
                    String::new()
                } else if quiet {
                    // A line being written, never ended: no line to read, but bytes on the
                    // wire, so a reader that left is seen to have gone.
                    " ".to_owned()
                } else {
                    stamp(&format!("heartbeat {beat}"))
                };
                (Ok::<_, Infallible>(web::Bytes::from(line)), beat + 1)
            })
        }
    });
    let opening = futures_util::stream::once(async move { Ok(web::Bytes::from(first)) });
    HttpResponse::Ok()
        .content_type("text/plain")
        .streaming(futures_util::StreamExt::chain(opening, beats))
}

/// What the fake's container writes of its configuration: `env NAME=value` for each
/// variable of the `ConfigMap` and `Secret` its pod takes (`envFrom`).
fn configuration_lines(store: &Store, namespace: &str, spec: &Value) -> Vec<String> {
    let mut written = Vec::new();
    for source in spec["envFrom"].as_array().into_iter().flatten() {
        let (plural, name) = if let Some(name) = source["configMapRef"]["name"].as_str() {
            ("configmaps", name)
        } else if let Some(name) = source["secretRef"]["name"].as_str() {
            ("secrets", name)
        } else {
            continue;
        };
        let Some(found) = store.objects.get(&key(plural, namespace, name)) else {
            continue;
        };
        for (variable, value) in found.object["data"].as_object().into_iter().flatten() {
            let value = value.as_str().unwrap_or_default();
            let value = if plural == "secrets" {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default()
            } else {
                value.to_owned()
            };
            written.push(format!("env {variable}={value}"));
        }
    }
    written
}

/// `GET /version`.
fn version() -> Value {
    json!({
        "major": "1", "minor": "33", "emulationMajor": "1", "emulationMinor": "33",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "32",
        "gitVersion": "v1.33.0-fake", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2025-04-23T00:00:00Z", "goVersion": "go1.24.2",
        "compiler": "gc", "platform": "linux/amd64"
    })
}

/// GET of one object.
fn get(state: &State, target: &Target, name: &str) -> Result<(u16, Value), Failure> {
    let store = state.store.lock().expect("the store");
    store
        .objects
        .get(&key(target.kind.plural, &target.namespace, name))
        .map(|stored| (200, stored.object.clone()))
        .ok_or_else(|| Failure::not_found(target.kind, name))
}

/// GET of a collection: the list.
fn list(state: &State, target: &Target, query: &Query) -> Value {
    let filter = Filter::new(target, query);
    let store = state.store.lock().expect("the store");
    json!({
        "apiVersion": target.kind.api_version,
        "kind": format!("{}List", target.kind.name),
        "metadata": {"resourceVersion": store.version.to_string()},
        "items": store.matching(&filter)
    })
}

/// DELETE of one object: a namespace takes what is in it along, a deployment its pods.
fn delete(
    state: &State,
    kind: &'static Kind,
    namespace: &str,
    name: &str,
) -> Result<(u16, Value), Failure> {
    let mut store = state.store.lock().expect("the store");
    let wanted = key(kind.plural, namespace, name);
    let Some(stored) = store.objects.get(&wanted).cloned() else {
        return Err(Failure::not_found(kind, name));
    };
    if kind.plural == NAMESPACES {
        let inside: Vec<Key> = store
            .objects
            .keys()
            .filter(|k| k.1 == name)
            .cloned()
            .collect();
        for contained in &inside {
            store.remove(contained);
        }
    }
    for set in stored.rollout.iter().flat_map(|rollout| &rollout.sets) {
        store.remove_pods(namespace, name, set);
    }
    let removed = store.remove(&wanted).unwrap_or(stored.object);
    Ok((200, removed))
}

/// What an apply is about.
struct ApplyTo<'a> {
    /// The kind.
    kind: &'static Kind,
    /// The namespace (empty when cluster-scoped).
    namespace: &'a str,
    /// The object's name.
    name: &'a str,
    /// The field manager.
    manager: &'a str,
    /// Whether to take fields over from other managers.
    force: bool,
}

/// PATCH of one object: only a server-side apply (JSON, which is YAML too).
fn apply_request(
    state: &State,
    request: &HttpRequest,
    target: &Target,
    name: &str,
    query: &Query,
    body: &[u8],
) -> Result<(u16, Value), Failure> {
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some(APPLY_TYPE) {
        return Err(Failure::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {APPLY_TYPE}"
            ),
        ));
    }
    let Some(manager) = query
        .get("fieldManager")
        .map(String::as_str)
        .filter(|manager| !manager.is_empty())
    else {
        return Err(Failure::bad_request(
            "PATCH with apply requires fieldManager",
        ));
    };
    let config: Value = serde_json::from_slice(body).map_err(|error| {
        Failure::bad_request(format!(
            "error decoding the body (this fake reads JSON): {error}"
        ))
    })?;
    state
        .applied
        .lock()
        .expect("the applied objects")
        .push(config.clone());
    let to = ApplyTo {
        kind: target.kind,
        namespace: &target.namespace,
        name,
        manager,
        force: query.get("force").is_some_and(|force| force == "true"),
    };
    apply(state, &to, config)
}

/// A server-side apply: answers 201 and the object when it made it, 200 when it changed it.
fn apply(state: &State, to: &ApplyTo<'_>, config: Value) -> Result<(u16, Value), Failure> {
    check_config(to, &config)?;
    let mut store = state.store.lock().expect("the store");
    if to.kind.namespaced
        && !store
            .objects
            .contains_key(&key(NAMESPACES, "", to.namespace))
    {
        return Err(Failure::not_found(known(NAMESPACES), to.namespace));
    }
    let old = store
        .objects
        .get(&key(to.kind.plural, to.namespace, to.name))
        .cloned();
    check_precondition(to, &config, old.as_ref())?;
    let (mut object, managers) = server_side_apply(to, old.as_ref(), config)?;
    validate(to, &object, old.as_ref().map(|s| &s.object))?;
    let rollout = next_generation(to.kind, &mut object, old.as_ref());
    let stored = Stored {
        object,
        managers,
        rollout,
    };
    let saved = store.save(to.kind, to.namespace, to.name, stored);
    Ok((if old.is_none() { 201 } else { 200 }, saved))
}

/// Checks the applied body against the URL.
fn check_config(to: &ApplyTo<'_>, config: &Value) -> Result<(), Failure> {
    if !config.is_object() {
        return Err(Failure::bad_request(
            "the body of an apply must be an object",
        ));
    }
    let api_version = config["apiVersion"].as_str().unwrap_or_default();
    if api_version != to.kind.api_version {
        return Err(Failure::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            to.kind.api_version
        )));
    }
    let kind = config["kind"].as_str().unwrap_or_default();
    if kind != to.kind.name {
        return Err(Failure::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            to.kind.name
        )));
    }
    let name = config["metadata"]["name"].as_str().unwrap_or_default();
    if name != to.name {
        return Err(Failure::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            to.name
        )));
    }
    let namespace = config["metadata"]["namespace"].as_str();
    if to.kind.namespaced && namespace.is_some_and(|namespace| namespace != to.namespace) {
        return Err(Failure::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    check_name(to.kind, to.name)
}

/// An object's name must be a DNS label (namespaces, services) or subdomain (the others).
fn check_name(kind: &Kind, name: &str) -> Result<(), Failure> {
    let (valid, rule) = match kind.plural {
        NAMESPACES => (
            dns_label(name),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ),
        "services" => (
            dns_label(name) && name.starts_with(|c: char| c.is_ascii_lowercase()),
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        ),
        _ => (
            name.len() <= 253 && name.split('.').all(dns_label),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ),
    };
    if valid {
        Ok(())
    } else {
        let detail = format!("Invalid value: \"{name}\": {rule}");
        Err(Failure::invalid(kind, name, "metadata.name", &detail))
    }
}

/// A DNS-1123 label: up to 63 lowercase letters, digits and inner dashes.
fn dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A label's name part, or a label value: up to 63 alphanumerics with inner `-`, `_`, `.`.
fn label_name(text: &str) -> bool {
    text.len() <= 63
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name.
fn qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => {
            prefix.len() <= 253 && prefix.split('.').all(dns_label) && label_name(name)
        }
        None => label_name(key),
    }
}

/// Labels must be a map of valid keys to valid values.
fn check_labels(to: &ApplyTo<'_>, labels: &Value, field: &str) -> Result<(), Failure> {
    if labels.is_null() {
        return Ok(());
    }
    let Some(labels) = labels.as_object() else {
        let detail = format!("Invalid value: {labels}: must be a map of strings");
        return Err(Failure::invalid(to.kind, to.name, field, &detail));
    };
    for (name, value) in labels {
        if !qualified_name(name) {
            let detail = format!(
                "Invalid value: \"{name}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
            );
            return Err(Failure::invalid(to.kind, to.name, field, &detail));
        }
        let valid = value
            .as_str()
            .is_some_and(|text| text.is_empty() || label_name(text));
        if !valid {
            let detail = format!(
                "Invalid value: {value}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
            );
            return Err(Failure::invalid(to.kind, to.name, field, &detail));
        }
    }
    Ok(())
}

/// A deployment's selector must be there, match its template, and never change; its pod
/// template needs containers with a name and an image.
fn check_deployment(to: &ApplyTo<'_>, object: &Value, old: Option<&Value>) -> Result<(), Failure> {
    let invalid = |field: &str, detail: &str| Failure::invalid(to.kind, to.name, field, detail);
    let spec = &object["spec"];
    let labels = &spec["template"]["metadata"]["labels"];
    check_labels(to, labels, "spec.template.metadata.labels")?;
    let selector = &spec["selector"];
    if selector.as_object().is_none_or(Map::is_empty) {
        return Err(invalid("spec.selector", "Required value"));
    }
    let mismatch = selector["matchLabels"]
        .as_object()
        .is_some_and(|wanted| wanted.iter().any(|(k, v)| labels.get(k) != Some(v)));
    if mismatch {
        let detail =
            format!("Invalid value: {labels}: `selector` does not match template `labels`");
        return Err(invalid("spec.template.metadata.labels", &detail));
    }
    let containers = spec["template"]["spec"]["containers"].as_array();
    if containers.is_none_or(Vec::is_empty) {
        return Err(invalid("spec.template.spec.containers", "Required value"));
    }
    let incomplete = containers.into_iter().flatten().any(|container| {
        container["name"].as_str().is_none_or(str::is_empty)
            || container["image"].as_str().is_none_or(str::is_empty)
    });
    if incomplete {
        let detail = "Required value: every container needs a name and an image";
        return Err(invalid("spec.template.spec.containers", detail));
    }
    if let Some(old) = old
        && old["spec"]["selector"] != *selector
    {
        let detail = format!("Invalid value: {selector}: field is immutable");
        return Err(invalid("spec.selector", &detail));
    }
    Ok(())
}

/// Validates the object an apply makes.
fn validate(to: &ApplyTo<'_>, object: &Value, old: Option<&Value>) -> Result<(), Failure> {
    check_labels(to, &object["metadata"]["labels"], "metadata.labels")?;
    if to.kind.plural == DEPLOYMENTS {
        check_deployment(to, object, old)?;
    }
    Ok(())
}

/// An apply carrying `metadata.resourceVersion` needs the object to be at that version.
fn check_precondition(
    to: &ApplyTo<'_>,
    config: &Value,
    old: Option<&Stored>,
) -> Result<(), Failure> {
    let Some(wanted) = config["metadata"]["resourceVersion"]
        .as_str()
        .filter(|version| !version.is_empty())
    else {
        return Ok(());
    };
    let current = old.and_then(|s| s.object["metadata"]["resourceVersion"].as_str());
    if current == Some(wanted) {
        Ok(())
    } else {
        Err(Failure::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                to.kind.resource(),
                to.name
            ),
        ))
    }
}

/// The server-side apply proper: conflicts, fields given up, the merge and the new ownership.
fn server_side_apply(
    to: &ApplyTo<'_>,
    old: Option<&Stored>,
    config: Value,
) -> Result<(Value, Vec<Manager>), Failure> {
    let live = old.map_or_else(|| fresh(to.kind), |s| s.object.clone());
    let mut managers = old.map_or_else(Vec::new, |s| s.managers.clone());
    let owned = leaves(&config);
    let found = conflicts(&live, &config, &owned, &managers, to.manager);
    if !found.is_empty() && !to.force {
        return Err(Failure::conflict(to, &found));
    }
    for (other, path) in &found {
        if let Some(manager) = managers.iter_mut().find(|m| &m.name == other) {
            manager.paths.retain(|owned| !overlaps(owned, path));
        }
    }
    let mut object = live;
    release(&mut object, &managers, to.manager, &owned);
    merge_config(&mut object, config);
    let changed = old.is_none_or(|s| s.object != object);
    take_ownership(&mut managers, to, owned, changed);
    Ok((object, managers))
}

/// A new object of a kind, with what the server sets on creation.
fn fresh(kind: &Kind) -> Value {
    let mut object = json!({"apiVersion": kind.api_version, "kind": kind.name, "metadata": {}});
    match kind.plural {
        NAMESPACES => {
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            object["status"] = json!({"phase": "Active"});
        }
        DEPLOYMENTS => object["status"] = json!({}),
        "services" => {
            let bytes = uuid::Uuid::now_v7().into_bytes();
            let address = format!("10.96.{}.{}", bytes[14], bytes[15].max(1));
            object["spec"] = json!({"clusterIP": address, "clusterIPs": [address]});
            object["status"] = json!({"loadBalancer": {}});
        }
        _ => {}
    }
    object
}

/// Sets the generation (1 on creation, one more when the spec changes) and, for a deployment,
/// restarts its rollout's clock when the spec changed.
fn next_generation(kind: &Kind, object: &mut Value, old: Option<&Stored>) -> Option<Rollout> {
    let (generation, changed) = match old {
        None => (1, true),
        Some(old) => {
            let generation = old.object["metadata"]["generation"].as_i64().unwrap_or(1);
            if old.object.get("spec") == object.get("spec") {
                (generation, false)
            } else {
                (generation + 1, true)
            }
        }
    };
    object["metadata"]["generation"] = json!(generation);
    if kind.plural != DEPLOYMENTS {
        return None;
    }
    let mut rollout = old
        .and_then(|s| s.rollout.clone())
        .unwrap_or_else(Rollout::new);
    if changed {
        rollout.since = Instant::now();
    }
    Some(rollout)
}

/// The leaf paths an applied configuration sets: not `apiVersion`, `kind`, `status`, nor the
/// metadata but labels and annotations. Arrays and empty objects are leaves.
fn leaves(config: &Value) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    for (key, value) in config.as_object().into_iter().flatten() {
        match key.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for part in ["labels", "annotations"] {
                    if let Some(section) = value.get(part) {
                        let path = vec!["metadata".to_owned(), part.to_owned()];
                        collect_leaves(section, path, &mut out);
                    }
                }
            }
            _ => collect_leaves(value, vec![key.clone()], &mut out),
        }
    }
    out
}

/// Adds the leaf paths under `value` (at `path`) to `out`; nulls set nothing.
fn collect_leaves(value: &Value, path: Path, out: &mut BTreeSet<Path>) {
    match value {
        Value::Null => {}
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let mut deeper = path.clone();
                deeper.push(key.clone());
                collect_leaves(inner, deeper, out);
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

/// The value at a path, if any.
fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| node.get(key))
}

/// Whether one path is the other or inside it.
fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The fields the configuration sets to another value than the object has, owned by another
/// manager: `(manager, path)`.
fn conflicts(
    live: &Value,
    config: &Value,
    owned: &BTreeSet<Path>,
    managers: &[Manager],
    me: &str,
) -> Vec<(String, Path)> {
    let mut found = Vec::new();
    for path in owned {
        if at(live, path) == at(config, path) {
            continue;
        }
        for other in managers.iter().filter(|m| m.name != me) {
            if other.paths.iter().any(|theirs| overlaps(path, theirs)) {
                found.push((other.name.clone(), path.clone()));
            }
        }
    }
    found
}

/// Removes the fields `me` owned and no longer sets, unless another manager owns them, and the
/// objects that leaves empty.
fn release(object: &mut Value, managers: &[Manager], me: &str, owned: &BTreeSet<Path>) {
    let Some(mine) = managers.iter().find(|m| m.name == me) else {
        return;
    };
    let others: Vec<&Path> = managers
        .iter()
        .filter(|m| m.name != me)
        .flat_map(|m| m.paths.iter())
        .collect();
    for path in mine.paths.difference(owned) {
        if others.iter().any(|theirs| overlaps(path, theirs)) {
            continue;
        }
        remove_at(object, path);
        for depth in (2..path.len()).rev() {
            let parent = &path[..depth];
            let empty = at(object, parent)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty);
            if !empty || others.iter().any(|theirs| theirs.as_slice() == parent) {
                break;
            }
            remove_at(object, parent);
        }
    }
}

/// Removes the value at a path, if there.
fn remove_at(value: &mut Value, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            if let Some(map) = value.as_object_mut() {
                map.remove(last);
            }
        }
        [first, rest @ ..] => {
            if let Some(next) = value.get_mut(first) {
                remove_at(next, rest);
            }
        }
    }
}

/// The object under `key` in a map, made an object if it was not.
fn child<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("an object, made so above")
}

/// Merges an applied configuration into the object: not its `apiVersion`, `kind` and
/// `status`, and of its metadata only labels and annotations.
fn merge_config(object: &mut Value, config: Value) {
    let (Some(target), Value::Object(config)) = (object.as_object_mut(), config) else {
        return;
    };
    for (key, value) in config {
        match key.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                let Value::Object(mut metadata) = value else {
                    continue;
                };
                let into = child(target, "metadata");
                for part in ["labels", "annotations"] {
                    if let Some(section) = metadata.remove(part) {
                        merge_key(into, part, section);
                    }
                }
            }
            _ => merge_key(target, &key, value),
        }
    }
}

/// Merges a value into a map's key: objects deeply, anything else replaced; nulls set nothing.
fn merge_key(target: &mut Map<String, Value>, key: &str, value: Value) {
    match value {
        Value::Null => {}
        Value::Object(entries) if target.get(key).is_some_and(Value::is_object) => {
            let inner = child(target, key);
            for (k, v) in entries {
                merge_key(inner, &k, v);
            }
        }
        other => {
            target.insert(key.to_owned(), other);
        }
    }
}

/// Gives the manager the fields it applied, stamping the time when something changed.
fn take_ownership(
    managers: &mut Vec<Manager>,
    to: &ApplyTo<'_>,
    owned: BTreeSet<Path>,
    changed: bool,
) {
    let now = now_text();
    if let Some(mine) = managers.iter_mut().find(|m| m.name == to.manager) {
        if changed || mine.paths != owned {
            mine.time = now;
        }
        mine.paths = owned;
        mine.api_version = to.kind.api_version;
    } else {
        managers.push(Manager {
            name: to.manager.to_owned(),
            time: now,
            api_version: to.kind.api_version,
            paths: owned,
        });
    }
    managers.retain(|m| !m.paths.is_empty());
}

/// `metadata.managedFields` of the managers.
fn managed_fields(managers: &[Manager]) -> Value {
    managers
        .iter()
        .map(|m| {
            json!({
                "manager": m.name, "operation": "Apply", "apiVersion": m.api_version,
                "time": m.time, "fieldsType": "FieldsV1", "fieldsV1": fields_v1(&m.paths)
            })
        })
        .collect()
}

/// The `FieldsV1` form of a set of paths: `{"f:spec": {"f:replicas": {}}}`.
fn fields_v1(paths: &BTreeSet<Path>) -> Value {
    let mut root = Map::new();
    for path in paths {
        let mut node = &mut root;
        for key in path {
            node = child(node, &format!("f:{key}"));
        }
    }
    Value::Object(root)
}

/// Now, as Kubernetes writes times.
fn now_text() -> String {
    time_text(chrono::Utc::now())
}

/// A time as Kubernetes writes it (RFC 3339, UTC, seconds).
fn time_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Runs the fake controller: every tick, each deployment moves along.
async fn control(state: Arc<State>) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        state.store.lock().expect("the store").tick(Instant::now());
    }
}

/// What a deployment's image makes of its rollout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Its pods become ready.
    Healthy,
    /// Its container exits at once, again and again (`crashloop` in the image).
    CrashLoop,
    /// Its image cannot be pulled (`pullfail` in the image).
    PullFail,
}

impl Outcome {
    /// The outcome an image scripts.
    fn of(image: &str) -> Self {
        if image.contains("crashloop") {
            Self::CrashLoop
        } else if image.contains("pullfail") {
            Self::PullFail
        } else {
            Self::Healthy
        }
    }
}

/// What a deployment's spec asks for.
struct Plan {
    /// Its generation.
    generation: i64,
    /// `spec.replicas` (1 by default).
    replicas: u64,
    /// The pod template's labels.
    labels: Map<String, Value>,
    /// The pod template's spec.
    pod_spec: Value,
    /// The first container's image.
    image: String,
    /// The first container's name.
    container: String,
    /// `spec.progressDeadlineSeconds` (600 by default).
    deadline: Duration,
    /// The pod template's hash.
    hash: String,
    /// The name of the replica set of this template.
    replica_set: String,
    /// What the image makes of it.
    outcome: Outcome,
}

impl Plan {
    /// The plan of a deployment.
    fn of(name: &str, object: &Value) -> Self {
        let spec = &object["spec"];
        let template = &spec["template"];
        let first = &template["spec"]["containers"][0];
        let image = first["image"].as_str().unwrap_or_default().to_owned();
        let hash = template_hash(template);
        Self {
            generation: object["metadata"]["generation"].as_i64().unwrap_or(1),
            replicas: spec["replicas"].as_u64().unwrap_or(1),
            labels: template["metadata"]["labels"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
            pod_spec: template["spec"].clone(),
            container: first["name"].as_str().unwrap_or("app").to_owned(),
            deadline: Duration::from_secs(spec["progressDeadlineSeconds"].as_u64().unwrap_or(600)),
            replica_set: format!("{name}-{hash}"),
            outcome: Outcome::of(&image),
            image,
            hash,
        }
    }
}

/// A pod template's hash, in the alphabet Kubernetes uses for it.
fn template_hash(template: &Value) -> String {
    const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let digest = template.to_string().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    digest
        .to_string()
        .bytes()
        .map(|b| char::from(SAFE[usize::from(b) % SAFE.len()]))
        .collect()
}

/// A pod's name: `{deployment}-{generation}-{index}`.
fn pod_name(deployment: &str, generation: i64, index: u64) -> String {
    format!("{deployment}-{generation}-{index}")
}

/// Where a rollout is, for its status.
struct Progress {
    /// Since the spec changed.
    elapsed: Duration,
    /// Whether the new pods are all available.
    finished: bool,
    /// The pods of older generations.
    old_total: u64,
    /// The available pods of older generations.
    old_available: u64,
}

/// A condition: type, status, reason and message.
type Condition<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A deployment's status, as the controller reports it.
fn deployment_status(old: &Value, plan: &Plan, progress: &Progress) -> Value {
    let wanted = plan.replicas;
    let (replicas, updated, available) = if progress.finished {
        (wanted, wanted, wanted)
    } else if plan.outcome == Outcome::Healthy {
        (wanted + progress.old_total, 0, progress.old_available)
    } else {
        (wanted + progress.old_total, wanted, progress.old_available)
    };
    let now = now_text();
    let availability = if available >= wanted - wanted / 4 {
        (
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let replica_set = &plan.replica_set;
    let (status, reason, message) = if progress.finished {
        (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{replica_set}\" has successfully progressed."),
        )
    } else if plan.outcome != Outcome::Healthy && progress.elapsed >= plan.deadline {
        (
            "False",
            "ProgressDeadlineExceeded",
            format!("ReplicaSet \"{replica_set}\" has timed out progressing."),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{replica_set}\" is progressing."),
        )
    };
    let conditions = json!([
        condition(old, availability, &now),
        condition(old, ("Progressing", status, reason, message.as_str()), &now)
    ]);
    let mut out = Map::new();
    out.insert("observedGeneration".to_owned(), plan.generation.into());
    let counts = [
        ("replicas", replicas),
        ("updatedReplicas", updated),
        ("readyReplicas", available),
        ("availableReplicas", available),
        ("unavailableReplicas", replicas.saturating_sub(available)),
    ];
    for (field, count) in counts {
        if count > 0 {
            out.insert(field.to_owned(), count.into());
        }
    }
    out.insert("conditions".to_owned(), conditions);
    Value::Object(out)
}

/// A deployment condition, keeping the old times while it holds.
fn condition(old: &Value, (kind, status, reason, message): Condition<'_>, now: &str) -> Value {
    let previous = old["conditions"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["type"] == kind));
    let same = previous.filter(|c| c["status"] == status);
    let transition = same
        .and_then(|c| c["lastTransitionTime"].as_str())
        .unwrap_or(now);
    let update = same
        .filter(|c| c["reason"] == reason && c["message"] == message)
        .and_then(|c| c["lastUpdateTime"].as_str())
        .unwrap_or(now);
    json!({
        "type": kind, "status": status, "lastUpdateTime": update,
        "lastTransitionTime": transition, "reason": reason, "message": message
    })
}

/// A pod of a set, as the kubelet would report it after `elapsed`.
fn pod_object(
    namespace: &str,
    name: &str,
    plan: &Plan,
    set: &PodSet,
    index: u64,
    elapsed: Duration,
) -> Value {
    let mut labels = plan.labels.clone();
    labels.insert("pod-template-hash".to_owned(), plan.hash.clone().into());
    let mut spec = plan.pod_spec.clone();
    if let Some(map) = spec.as_object_mut() {
        map.insert("nodeName".to_owned(), "fake-node".into());
    }
    let started = time_text(set.started);
    let phase = if set.ready || plan.outcome == Outcome::CrashLoop {
        "Running"
    } else {
        "Pending"
    };
    let ready = if set.ready { "True" } else { "False" };
    let address = format!(
        "10.244.{}.{}",
        set.generation.rem_euclid(250),
        index % 250 + 2
    );
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": started},
                {"type": "Ready", "status": ready, "lastTransitionTime": started},
                {"type": "ContainersReady", "status": ready, "lastTransitionTime": started}
            ],
            "hostIP": "10.0.0.10", "podIP": address, "startTime": started, "qosClass": "BestEffort",
            "containerStatuses": [container_status(namespace, name, plan, set, elapsed)]
        }
    })
}

/// The first container's status in a pod of a set.
fn container_status(
    namespace: &str,
    pod: &str,
    plan: &Plan,
    set: &PodSet,
    elapsed: Duration,
) -> Value {
    let started = time_text(set.started);
    let restarts = elapsed.saturating_sub(STALE).as_secs() + 1;
    let mut status = json!({
        "name": plan.container, "image": plan.image, "imageID": "",
        "ready": set.ready, "started": set.ready, "restartCount": 0
    });
    let state = match (set.ready, plan.outcome) {
        (true, _) => {
            status["imageID"] = json!(format!("{}@sha256:{}", plan.image, "0".repeat(64)));
            json!({"running": {"startedAt": started}})
        }
        (false, Outcome::Healthy) => json!({"waiting": {"reason": "ContainerCreating"}}),
        (false, Outcome::CrashLoop) => {
            let last =
                set.started + chrono::TimeDelta::seconds(i64::try_from(restarts).unwrap_or(0));
            status["restartCount"] = json!(restarts);
            status["lastState"] = json!({"terminated": {
                "exitCode": 1, "reason": "Error", "startedAt": time_text(last), "finishedAt": time_text(last)
            }});
            let message = format!(
                "back-off 10s restarting failed container={} pod={pod}_{namespace}",
                plan.container
            );
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}})
        }
        (false, Outcome::PullFail) => {
            let message = format!("Back-off pulling image \"{}\"", plan.image);
            json!({"waiting": {"reason": "ImagePullBackOff", "message": message}})
        }
    };
    status["state"] = state;
    status
}

/// The warning event of a failing pod: its name and the event.
fn event_object(
    namespace: &str,
    pod: &str,
    plan: &Plan,
    set: &PodSet,
    elapsed: Duration,
) -> (String, Value) {
    let count = elapsed.saturating_sub(STALE).as_secs() + 1;
    let last = set.started + chrono::TimeDelta::seconds(i64::try_from(count - 1).unwrap_or(0));
    let (reason, message) = if plan.outcome == Outcome::CrashLoop {
        (
            "BackOff",
            format!(
                "Back-off restarting failed container {} in pod {pod}_{namespace}",
                plan.container
            ),
        )
    } else {
        (
            "Failed",
            format!(
                "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found",
                image = plan.image
            ),
        )
    };
    let name = format!("{pod}.{}", reason.to_lowercase());
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": "v1", "kind": "Pod", "name": pod, "namespace": namespace,
            "fieldPath": format!("spec.containers{{{}}}", plan.container)
        },
        "reason": reason, "message": message, "type": "Warning", "count": count,
        "firstTimestamp": time_text(set.started), "lastTimestamp": time_text(last),
        "source": {"component": "kubelet", "host": "fake-node"},
        "reportingComponent": "kubelet", "reportingInstance": "fake-node"
    });
    (name, event)
}

/// One term of a selector: `key=value`, `key!=value`, `key` or `!key`.
struct Term {
    /// The label, or the field's dotted path.
    key: String,
    /// The value compared with, or none for a test of presence.
    value: Option<String>,
    /// Whether the term asks for equality (or presence) rather than their opposite.
    equal: bool,
}

impl Term {
    /// Reads a term.
    fn parse(text: &str) -> Self {
        let (key, value, equal) = if let Some((key, value)) = text.split_once("!=") {
            (key, Some(value), false)
        } else if let Some((key, value)) = text.split_once('=') {
            (key, Some(value.strip_prefix('=').unwrap_or(value)), true)
        } else if let Some(key) = text.strip_prefix('!') {
            (key, None, false)
        } else {
            (text, None, true)
        };
        Self {
            key: key.trim().to_owned(),
            value: value.map(|value| value.trim().to_owned()),
            equal,
        }
    }

    /// Whether a value (or its absence) satisfies the term.
    fn holds(&self, actual: Option<&str>) -> bool {
        let found = match &self.value {
            Some(value) => actual == Some(value.as_str()),
            None => actual.is_some(),
        };
        found == self.equal
    }
}

/// The terms of a comma-separated selector.
fn terms(selector: Option<&str>) -> Vec<Term> {
    selector.map_or_else(Vec::new, |text| {
        text.split(',')
            .map(str::trim)
            .filter(|term| !term.is_empty())
            .map(Term::parse)
            .collect()
    })
}

/// A field of an object by its dotted path, as text (empty when missing).
fn field_text(object: &Value, path: &str) -> String {
    match path.split('.').try_fold(object, |node, key| node.get(key)) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => String::new(),
    }
}

/// What a list or watch selects.
struct Filter {
    /// The kind's plural.
    plural: &'static str,
    /// The namespace, or empty for all.
    namespace: String,
    /// The `labelSelector`.
    labels: Vec<Term>,
    /// The `fieldSelector`.
    fields: Vec<Term>,
}

impl Filter {
    /// The filter of a request.
    fn new(target: &Target, query: &Query) -> Self {
        Self {
            plural: target.kind.plural,
            namespace: target.namespace.clone(),
            labels: terms(query.get("labelSelector").map(String::as_str)),
            fields: terms(query.get("fieldSelector").map(String::as_str)),
        }
    }

    /// Whether it selects an object.
    fn matches(&self, plural: &str, namespace: &str, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        plural == self.plural
            && (self.namespace.is_empty() || namespace == self.namespace)
            && self
                .labels
                .iter()
                .all(|term| term.holds(labels.get(&term.key).and_then(Value::as_str)))
            && self
                .fields
                .iter()
                .all(|term| term.holds(Some(field_text(object, &term.key).as_str())))
    }
}

/// A line of a watch stream.
type Line = Result<web::Bytes, Infallible>;

/// An open watch: the lines still to send, and where later changes come from.
struct Watch {
    /// The changes as they happen.
    changes: broadcast::Receiver<Arc<Change>>,
    /// Lines ready to send.
    pending: VecDeque<web::Bytes>,
    /// What the watch selects.
    filter: Filter,
    /// Changes up to this `resourceVersion` were sent (or not asked for).
    after: u64,
    /// When the stream ends.
    deadline: tokio::time::Instant,
    /// Whether the stream ends once the pending lines are sent.
    done: bool,
}

/// A watch event, as a line.
fn event_line(event: &str, object: &Value) -> web::Bytes {
    let mut text = json!({"type": event, "object": object}).to_string();
    text.push('\n');
    web::Bytes::from(text)
}

/// GET of a collection with `watch=true`: newline-delimited events until `timeoutSeconds`.
fn watch(state: &State, target: &Target, query: &Query) -> HttpResponse {
    let seconds = query
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(60)
        .min(300);
    let since = query
        .get("resourceVersion")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let initial_events = query
        .get("sendInitialEvents")
        .is_some_and(|send| send == "true");
    let filter = Filter::new(target, query);
    let store = state.store.lock().expect("the store");
    let mut pending = VecDeque::new();
    let mut done = false;
    if since == 0 || initial_events {
        let added = store
            .matching(&filter)
            .into_iter()
            .map(|o| event_line("ADDED", o));
        pending.extend(added);
        if initial_events {
            let bookmark = json!({
                "kind": target.kind.name, "apiVersion": target.kind.api_version,
                "metadata": {
                    "resourceVersion": store.version.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"}
                }
            });
            pending.push_back(event_line("BOOKMARK", &bookmark));
        }
    } else if since < store.floor {
        let message = format!("too old resource version: {since} ({})", store.floor);
        pending.push_back(event_line(
            "ERROR",
            &Failure::new(410, "Expired", message).body(),
        ));
        done = true;
    } else {
        let missed = store
            .history
            .iter()
            .filter(|c| c.version > since && filter.matches(c.plural, &c.namespace, &c.object))
            .map(|c| event_line(c.event, &c.object));
        pending.extend(missed);
    }
    let watch = Watch {
        changes: store.sender.subscribe(),
        pending,
        after: since.max(store.version),
        filter,
        deadline: tokio::time::Instant::now() + Duration::from_secs(seconds),
        done,
    };
    drop(store);
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(futures_util::stream::unfold(watch, next_line))
}

/// The next line of a watch, or its end: at the deadline, or when it falls behind.
async fn next_line(mut watch: Watch) -> Option<(Line, Watch)> {
    loop {
        if let Some(line) = watch.pending.pop_front() {
            return Some((Ok(line), watch));
        }
        if watch.done {
            return None;
        }
        let Ok(Ok(change)) = tokio::time::timeout_at(watch.deadline, watch.changes.recv()).await
        else {
            return None;
        };
        if change.version > watch.after
            && watch
                .filter
                .matches(change.plural, &change.namespace, &change.object)
        {
            watch
                .pending
                .push_back(event_line(change.event, &change.object));
        }
    }
}
