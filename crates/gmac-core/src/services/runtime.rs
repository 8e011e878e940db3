//! A running release as its container host or its cluster sees it (issue 12, point 4): each
//! instance's state (its container, or each pod of the release) and the reason it last exited
//! or waits, and its own output, followed live with every secret value of its configuration
//! masked. Reading either needs `services.view` on the service, as its
//! builds' logs do.

use gmac_types::runtime::{
    EnvironmentInstances, ExitReason, Instance, LastExit, LogQuery, MAX_TAIL, OutputStream,
    ServiceLogLine,
};
use gmac_types::{ErrorCode, TargetKind};
use sea_orm::EntityTrait;

use crate::entities::{release, target};
use crate::platform::worker::{mask_needles, mask_text};
use crate::ports::{Cluster, ContainerState, Deployer, Engine, OutputLine, PodState};
use crate::{Actor, Core, Error, Result};

use super::{environments, release_rows, targets, variables};

/// Where the live release runs.
struct Running {
    release: release::Model,
    host: Host,
}

/// A container on a container host, or pods on a cluster.
enum Host {
    Engine {
        engine: Engine,
        container: String,
    },
    Cluster {
        kubeconfig: String,
        namespace: String,
    },
}

/// Where the live release runs, `None` when nothing serves.
async fn running(core: &Core, actor: &Actor, id: &str) -> Result<Option<Running>> {
    let (env, owner) = environments::visible(core, actor, id).await?;
    let Some(live) = &env.live_release_id else {
        return Ok(None);
    };
    let Some(release) = release::Entity::find_by_id(live.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(target_id) = &release.target_id else {
        return Ok(None);
    };
    let Some(target) = target::Entity::find_by_id(target_id.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(None);
    };
    let host = if target.kind == TargetKind::Kubernetes.id() {
        Host::Cluster {
            kubeconfig: targets::kubeconfig_of(core, &target)?,
            namespace: targets::namespace_of(&owner.name, &env.name, &env.id),
        }
    } else {
        let Some(container) = release.container_id.clone() else {
            return Ok(None);
        };
        Host::Engine {
            engine: targets::engine_of(core, &target)?,
            container,
        }
    };
    Ok(Some(Running { release, host }))
}

fn cluster(core: &Core) -> Result<std::sync::Arc<dyn Cluster>> {
    core.cluster.clone().ok_or_else(|| {
        Error::conflict(ErrorCode::Conflict, "no Kubernetes connector is configured")
    })
}

fn deployer(core: &Core) -> Result<std::sync::Arc<dyn Deployer>> {
    core.deployer.clone().ok_or_else(|| {
        Error::conflict(
            ErrorCode::Conflict,
            "no container host connector is configured",
        )
    })
}

fn unavailable(why: &crate::ports::ImageBuildError) -> Error {
    match why {
        // The engine answered: the container is gone (removed outside gmac), say so.
        crate::ports::ImageBuildError::Failed(detail) => Error::conflict(
            ErrorCode::Conflict,
            format!("the live release cannot be read: {detail}"),
        ),
        crate::ports::ImageBuildError::Unavailable(detail) => Error::Unavailable {
            retry_after: 5,
            detail: format!("the container host or cluster: {detail}"),
        },
    }
}

/// An instance as the engine tells it.
pub fn instance(name: String, state: &ContainerState) -> Instance {
    Instance {
        name,
        running: state.running,
        restarts: state.restarts,
        started_at: state.started_at,
        // An exit the engine dated: a container that never stopped has none to tell.
        last_exit: state
            .exit_code
            .filter(|_| state.finished_at.is_some())
            .map(|code| LastExit {
                code,
                reason: ExitReason::of(code, state.oom_killed),
                at: state.finished_at,
                detail: state.error.clone(),
            }),
        waiting: None,
    }
}

/// A pod as an instance.
fn pod_instance(pod: &PodState) -> Instance {
    Instance {
        waiting: pod.waiting.clone(),
        ..instance(pod.name.clone(), &pod.state)
    }
}

/// What to mask in what `release` writes: each of its secret values (and their encodings),
/// longest first; the inner error says why they cannot all be read.
async fn needles_of(
    core: &Core,
    release: &release::Model,
) -> Result<std::result::Result<Vec<String>, String>> {
    let config = release_rows::config_of(release)?;
    let secrets = match variables::materialize(core, &release.environment_id, &config).await? {
        Ok((_, secrets)) => secrets,
        Err(why) => return Ok(Err(why)),
    };
    let mut needles: Vec<String> = secrets.iter().flat_map(|s| mask_needles(s)).collect();
    needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    needles.dedup();
    Ok(Ok(needles))
}

/// An instance's texts (why it last ended, why it waits: a pod's termination message is the
/// app's own) with every secret value masked, or left out when they cannot all be read.
fn masked(mut instance: Instance, needles: Option<&[String]>) -> Instance {
    let mask = |text: Option<String>| text.and_then(|t| needles.map(|n| mask_text(&t, n)));
    if let Some(exit) = instance.last_exit.as_mut() {
        exit.detail = mask(exit.detail.take());
    }
    instance.waiting = match needles {
        Some(needles) => instance.waiting.map(|t| mask_text(&t, needles)),
        // Why it waits is still said, without what it said.
        None => instance
            .waiting
            .map(|t| t.split(':').next().unwrap_or_default().to_owned()),
    };
    instance
}

/// The live release's instances and how each stands.
pub async fn instances(core: &Core, actor: &Actor, id: &str) -> Result<EnvironmentInstances> {
    let Some(run) = running(core, actor, id).await? else {
        return Ok(EnvironmentInstances {
            release_id: None,
            release_number: None,
            instances: Vec::new(),
        });
    };
    let instances = match &run.host {
        Host::Engine { engine, container } => {
            let state = deployer(core)?
                .state(engine, container)
                .await
                .map_err(|e| unavailable(&e))?;
            vec![instance(release_rows::short(container).to_owned(), &state)]
        }
        Host::Cluster {
            kubeconfig,
            namespace,
        } => cluster(core)?
            .pods(kubeconfig, namespace, &run.release.id)
            .await
            .map_err(|e| unavailable(&e))?
            .iter()
            .map(pod_instance)
            .collect(),
    };
    let needles = needles_of(core, &run.release).await?.ok();
    Ok(EnvironmentInstances {
        release_id: Some(run.release.id.clone()),
        release_number: Some(run.release.number),
        instances: instances
            .into_iter()
            .map(|i| masked(i, needles.as_deref()))
            .collect(),
    })
}

/// The live release's output, ready to read: where it comes from, and what to mask in it.
pub struct LogFeed {
    source: Source,
    needles: Vec<String>,
    tail: u32,
}

/// Where a feed reads: a container, or each pod of the release.
enum Source {
    Engine {
        deployer: std::sync::Arc<dyn Deployer>,
        engine: Engine,
        container: String,
    },
    Cluster {
        cluster: std::sync::Arc<dyn Cluster>,
        kubeconfig: String,
        namespace: String,
        pods: Vec<String>,
    },
}

impl std::fmt::Debug for LogFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = match &self.source {
            Source::Engine { container, .. } => vec![release_rows::short(container)],
            Source::Cluster { pods, .. } => pods.iter().map(String::as_str).collect(),
        };
        f.debug_struct("LogFeed")
            .field("from", &from)
            .finish_non_exhaustive()
    }
}

/// The live release's output: `None` when nothing serves.
pub async fn logs(
    core: &Core,
    actor: &Actor,
    id: &str,
    query: &LogQuery,
) -> Result<Option<LogFeed>> {
    let tail = query.tail.unwrap_or(200);
    if tail > MAX_TAIL {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "tail",
            "out_of_range",
            format!("At most {MAX_TAIL} lines."),
        )));
    }
    let Some(run) = running(core, actor, id).await? else {
        return Ok(None);
    };
    // Without every secret to mask, nothing is shown.
    let needles = match needles_of(core, &run.release).await? {
        Ok(needles) => needles,
        Err(why) => {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                format!("the output is not shown: {why}, so it could not be masked"),
            ));
        }
    };
    let source = match run.host {
        Host::Engine { engine, container } => Source::Engine {
            deployer: deployer(core)?,
            engine,
            container,
        },
        Host::Cluster {
            kubeconfig,
            namespace,
        } => {
            let cluster = cluster(core)?;
            let pods = cluster
                .pods(&kubeconfig, &namespace, &run.release.id)
                .await
                .map_err(|e| unavailable(&e))?
                .into_iter()
                .map(|pod| pod.name)
                .collect();
            Source::Cluster {
                cluster,
                kubeconfig,
                namespace,
                pods,
            }
        }
    };
    Ok(Some(LogFeed {
        source,
        needles,
        tail,
    }))
}

impl LogFeed {
    fn line(&self, instance: &str, output: &OutputLine) -> ServiceLogLine {
        ServiceLogLine {
            instance: instance.to_owned(),
            stream: if output.stderr {
                OutputStream::Stderr
            } else {
                OutputStream::Stdout
            },
            at: output.at,
            line: mask_text(&output.text, &self.needles),
        }
    }

    /// Sends the last lines, then, when `follow`, each new one, into `sink` until the
    /// container stops (every pod goes) or `sink` is closed. A cluster's pods are read at
    /// once, each line named by its pod.
    pub async fn run(
        self,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<ServiceLogLine>,
    ) -> Result<()> {
        let (tagged_sink, tagged) = tokio::sync::mpsc::channel::<(usize, OutputLine)>(256);
        let (names, readings): (Vec<String>, Vec<Reading<'_>>) = match &self.source {
            Source::Engine {
                deployer,
                engine,
                container,
            } => (
                vec![release_rows::short(container).to_owned()],
                vec![Box::pin(read_into(tagged_sink.clone(), 0, move |raw| {
                    deployer.logs(engine, container, self.tail, follow, raw)
                }))],
            ),
            Source::Cluster {
                cluster,
                kubeconfig,
                namespace,
                pods,
            } => (
                pods.clone(),
                pods.iter()
                    .enumerate()
                    .map(|(index, pod)| -> Reading<'_> {
                        Box::pin(read_into(tagged_sink.clone(), index, move |raw| {
                            cluster.pod_logs(kubeconfig, namespace, pod, self.tail, follow, raw)
                        }))
                    })
                    .collect(),
            ),
        };
        // Each reading holds its own sender: the lines end when the last reading does.
        drop(tagged_sink);
        let passing = async {
            // Owned here: once the client leaves, it is dropped, and every reading ends.
            let mut tagged = tagged;
            loop {
                // A client that leaves ends every reading at once, even while all is quiet.
                let next = tokio::select! {
                    next = tagged.recv() => next,
                    () = sink.closed() => None,
                };
                let Some((index, output)) = next else { break };
                if sink.send(self.line(&names[index], &output)).await.is_err() {
                    break;
                }
            }
        };
        let (read, ()) = tokio::join!(futures_util::future::join_all(readings), passing);
        // A pod that cannot be read (its container waits to start) does not hide the others'
        // output: only when none could be read is it an error.
        if read.iter().any(std::result::Result::is_ok) {
            return Ok(());
        }
        match read.into_iter().find_map(std::result::Result::err) {
            Some(e) => Err(unavailable(&e)),
            None => Ok(()),
        }
    }

    /// The last lines, as they stand; a cluster's pods' lines in the order they were written.
    pub async fn collect(self) -> Result<Vec<ServiceLogLine>> {
        let (sink, mut lines) = tokio::sync::mpsc::channel(256);
        let collecting = async {
            let mut all = Vec::new();
            while let Some(line) = lines.recv().await {
                all.push(line);
            }
            all
        };
        let (ran, mut all) = tokio::join!(self.run(false, sink), collecting);
        // Stable: lines without a time, and those of one instance, keep their order.
        all.sort_by_key(|line: &ServiceLogLine| line.at);
        ran.map(|()| all)
    }
}

/// One instance's output being read.
type Reading<'r> =
    futures_util::future::BoxFuture<'r, std::result::Result<(), crate::ports::ImageBuildError>>;

/// One reading (`read` writes an instance's lines into the sink it is given), its lines
/// passed on into `tagged` with `index`.
async fn read_into<F, R>(
    tagged: tokio::sync::mpsc::Sender<(usize, OutputLine)>,
    index: usize,
    read: F,
) -> std::result::Result<(), crate::ports::ImageBuildError>
where
    F: FnOnce(tokio::sync::mpsc::Sender<OutputLine>) -> R,
    R: std::future::Future<Output = std::result::Result<(), crate::ports::ImageBuildError>>,
{
    let (raw_sink, mut raw) = tokio::sync::mpsc::channel::<OutputLine>(256);
    let reading = read(raw_sink);
    let passing = async move {
        loop {
            let next = tokio::select! {
                next = raw.recv() => next,
                () = tagged.closed() => None,
            };
            let Some(output) = next else { break };
            if tagged.send((index, output)).await.is_err() {
                break;
            }
        }
        // `raw` goes here, so a reading whose lines are no longer wanted ends.
    };
    let (read, ()) = tokio::join!(reading, passing);
    read
}

#[cfg(test)]
mod tests {
    use gmac_types::runtime::{ExitReason, LastExit};

    use super::*;

    fn pod(detail: &str, waiting: &str) -> Instance {
        Instance {
            name: "docs-1".into(),
            running: false,
            restarts: 2,
            started_at: None,
            last_exit: Some(LastExit {
                code: 1,
                reason: ExitReason::Error,
                at: None,
                detail: Some(detail.into()),
            }),
            waiting: Some(waiting.into()),
        }
    }

    #[test]
    fn what_a_pod_said_is_masked_or_left_out() {
        let said = pod(
            "Error: token s3cr3t-value rejected",
            "CrashLoopBackOff: last said s3cr3t-value",
        );
        let needles = vec!["s3cr3t-value".to_owned()];
        let shown = masked(said.clone(), Some(&needles));
        let detail = shown.last_exit.unwrap().detail.unwrap();
        assert!(
            !detail.contains("s3cr3t-value") && detail.contains("rejected"),
            "{detail}"
        );
        let waiting = shown.waiting.unwrap();
        assert!(!waiting.contains("s3cr3t-value"), "{waiting}");
        // Its secrets unreadable: what it said is left out, why it waits is still told.
        let hidden = masked(said, None);
        assert_eq!(hidden.last_exit.unwrap().detail, None);
        assert_eq!(hidden.waiting.as_deref(), Some("CrashLoopBackOff"));
    }
}
