//! A running release as its container host sees it (issue 12, point 4): each instance's state
//! and the reason it last exited, and its own output, followed live with every secret value of
//! its configuration masked. Reading either needs `services.view` on the service, as its
//! builds' logs do.

use gmac_types::runtime::{
    EnvironmentInstances, ExitReason, Instance, LastExit, LogQuery, MAX_TAIL, OutputStream,
    ServiceLogLine,
};
use gmac_types::{ErrorCode, TargetKind};
use sea_orm::EntityTrait;

use crate::entities::{release, target};
use crate::platform::worker::{mask_needles, mask_text};
use crate::ports::{ContainerState, Deployer, OutputLine};
use crate::{Actor, Core, Error, Result};

use super::{environments, release_rows, variables};

/// Where the live release's container runs.
struct Running {
    release: release::Model,
    target: target::Model,
    container: String,
}

/// The live release's container, `None` when nothing serves; a cluster's releases are 409.
async fn running(core: &Core, actor: &Actor, id: &str) -> Result<Option<Running>> {
    let (env, _) = environments::visible(core, actor, id).await?;
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
    if target.kind == TargetKind::Kubernetes.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "this environment runs on a Kubernetes cluster: read its pods' state and logs with kubectl in its namespace (gmac shows them for container hosts)",
        ));
    }
    let Some(container) = release.container_id.clone() else {
        return Ok(None);
    };
    Ok(Some(Running {
        release,
        target,
        container,
    }))
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
            format!("the live release's container cannot be read: {detail}"),
        ),
        crate::ports::ImageBuildError::Unavailable(detail) => Error::Unavailable {
            retry_after: 5,
            detail: format!("the container host: {detail}"),
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
    }
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
    let state = deployer(core)?
        .state(&run.target.address, &run.container)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(EnvironmentInstances {
        release_id: Some(run.release.id.clone()),
        release_number: Some(run.release.number),
        instances: vec![instance(
            release_rows::short(&run.container).to_owned(),
            &state,
        )],
    })
}

/// The live release's output, ready to read: its instance, and what to mask in it.
pub struct LogFeed {
    deployer: std::sync::Arc<dyn Deployer>,
    address: String,
    container: String,
    instance: String,
    needles: Vec<String>,
    tail: u32,
}

impl std::fmt::Debug for LogFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFeed")
            .field("instance", &self.instance)
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
    let config = release_rows::config_of(&run.release)?;
    // Without every secret to mask, nothing is shown.
    let secrets = match variables::materialize(core, &run.release.environment_id, &config).await? {
        Ok((_, secrets)) => secrets,
        Err(why) => {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                format!("the output is not shown: {why}, so it could not be masked"),
            ));
        }
    };
    let mut needles: Vec<String> = secrets.iter().flat_map(|s| mask_needles(s)).collect();
    needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    needles.dedup();
    Ok(Some(LogFeed {
        deployer: deployer(core)?,
        address: run.target.address,
        instance: release_rows::short(&run.container).to_owned(),
        container: run.container,
        needles,
        tail,
    }))
}

impl LogFeed {
    fn line(&self, output: &OutputLine) -> ServiceLogLine {
        ServiceLogLine {
            instance: self.instance.clone(),
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
    /// container stops or `sink` is closed.
    pub async fn run(
        self,
        follow: bool,
        sink: tokio::sync::mpsc::Sender<ServiceLogLine>,
    ) -> Result<()> {
        let (raw_sink, raw) = tokio::sync::mpsc::channel::<OutputLine>(256);
        let reading =
            self.deployer
                .logs(&self.address, &self.container, self.tail, follow, raw_sink);
        let passing = async {
            // Owned here: once the client leaves, it is dropped, and the reading ends.
            let mut raw = raw;
            while let Some(output) = raw.recv().await {
                if sink.send(self.line(&output)).await.is_err() {
                    break;
                }
            }
        };
        let (read, ()) = tokio::join!(reading, passing);
        read.map_err(|e| unavailable(&e))
    }

    /// The last lines, as they stand.
    pub async fn collect(self) -> Result<Vec<ServiceLogLine>> {
        let (sink, mut lines) = tokio::sync::mpsc::channel(256);
        let collecting = async {
            let mut all = Vec::new();
            while let Some(line) = lines.recv().await {
                all.push(line);
            }
            all
        };
        let (ran, all) = tokio::join!(self.run(false, sink), collecting);
        ran.map(|()| all)
    }
}
