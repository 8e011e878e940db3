//! Container hosts through the Docker Engine API with `bollard`: Docker or Podman (`podman
//! system service`), at a `DOCKER_HOST`-style address (`unix:///run/podman/podman.sock`).

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;
use gmac_core::ports::{ContainerHost, ContainerRun, ImageBuild, ImageBuildError};

/// A Docker Engine API.
#[derive(Clone, Debug)]
pub struct DockerEngine {
    docker: Docker,
}

impl DockerEngine {
    /// Connects to `host`: `unix:///path/to.sock` (or a bare path).
    pub fn connect(host: &str) -> anyhow::Result<Self> {
        let path = host.strip_prefix("unix://").unwrap_or(host);
        let docker = Docker::connect_with_socket(path, 300, bollard::API_DEFAULT_VERSION)?;
        Ok(Self { docker })
    }
}

/// The build context as a tar archive.
fn context_tar(context: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (path, content) in context {
        let mut header = tar::Header::new_gnu();
        header.set_size(u64::try_from(content.len()).unwrap_or(u64::MAX));
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        archive.append_data(&mut header, path, content.as_slice())?;
    }
    archive.into_inner()
}

#[async_trait::async_trait]
impl ContainerHost for DockerEngine {
    async fn build_image(
        &self,
        build: &ImageBuild,
        log: &(dyn Fn(String) + Send + Sync),
    ) -> Result<String, ImageBuildError> {
        let archive = context_tar(&build.context)
            .map_err(|e| ImageBuildError::Failed(format!("the build context: {e}")))?;
        let build_args: HashMap<String, String> = build
            .build_args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let labels: HashMap<String, String> = build
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&build.dockerfile)
            .buildargs(&build_args)
            .labels(&labels)
            .nocache(build.no_cache)
            .rm(true)
            .forcerm(true)
            .pull("false");
        if let Some(first) = build.tags.first() {
            options = options.t(first);
        }
        let mut stream = self.docker.build_image(
            options.build(),
            None,
            Some(bollard::body_full(archive.into())),
        );
        let mut image = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| match e {
                bollard::errors::Error::DockerStreamError { error } => {
                    ImageBuildError::Failed(error)
                }
                bollard::errors::Error::DockerResponseServerError {
                    status_code,
                    message,
                } if status_code < 500 => ImageBuildError::Failed(message),
                other => {
                    ImageBuildError::Unavailable(format!("the container host failed: {other}"))
                }
            })?;
            if let Some(text) = info.stream {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    log(line.to_owned());
                }
            }
            if let Some(detail) = info.error_detail {
                return Err(ImageBuildError::Failed(
                    detail
                        .message
                        .unwrap_or_else(|| "the build failed".to_owned()),
                ));
            }
            if let Some(aux) = info.aux
                && let Some(id) = aux.id
            {
                image = Some(id);
            }
        }
        let id = match image {
            Some(id) => id,
            // Podman's compatible API names the image in the last line instead.
            None => match build.tags.first() {
                Some(tag) => self
                    .docker
                    .inspect_image(tag)
                    .await
                    .map_err(|e| ImageBuildError::Failed(format!("the built image: {e}")))?
                    .id
                    .unwrap_or_default(),
                None => {
                    return Err(ImageBuildError::Failed(
                        "the build named no image".to_owned(),
                    ));
                }
            },
        };
        for tag in build.tags.iter().skip(1) {
            let (repo, version) = tag.rsplit_once(':').unwrap_or((tag, "latest"));
            let options = bollard::query_parameters::TagImageOptionsBuilder::default()
                .repo(repo)
                .tag(version)
                .build();
            self.docker
                .tag_image(&id, Some(options))
                .await
                .map_err(|e| ImageBuildError::Unavailable(format!("tagging {tag}: {e}")))?;
        }
        Ok(id)
    }

    async fn run_container(&self, run: &ContainerRun) -> anyhow::Result<String> {
        let port = format!("{}/tcp", run.container_port);
        let bindings = HashMap::from([(
            port.clone(),
            Some(vec![PortBinding {
                host_ip: Some("127.0.0.1".to_owned()),
                host_port: Some(run.host_port.to_string()),
            }]),
        )]);
        let config = ContainerCreateBody {
            image: Some(run.image.clone()),
            labels: Some(run.labels.clone().into_iter().collect()),
            exposed_ports: Some(vec![port]),
            host_config: Some(HostConfig {
                port_bindings: Some(bindings),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&run.name)
            .build();
        let created = self.docker.create_container(Some(options), config).await?;
        self.docker.start_container(&created.id, None).await?;
        Ok(created.id)
    }

    async fn remove_container(&self, id: &str) -> anyhow::Result<()> {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match self.docker.remove_container(id, Some(options)).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn image_labels(&self, image: &str) -> anyhow::Result<BTreeMap<String, String>> {
        let inspected = self.docker.inspect_image(image).await?;
        Ok(inspected
            .config
            .and_then(|c| c.labels)
            .unwrap_or_default()
            .into_iter()
            .collect())
    }
}
