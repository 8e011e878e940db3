//! A real image registry on loopback: Debian's `docker-registry` (the CNCF distribution
//! registry), as RECIPES.md sets it up. `cargo xtask test` installs it.

#![expect(clippy::panic, reason = "test harness: a failed set-up panics")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running registry, storing under a folder of its own.
pub struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Starts one on a free loopback port and waits until it answers `/v2/`.
    ///
    /// # Panics
    /// When `docker-registry` is not installed or does not start.
    pub async fn start() -> Self {
        let port = crate::loopback::free_port();
        let dir = tempfile::tempdir().expect("a folder for the registry");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .expect("writing the registry's config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (apt-get install docker-registry)");
        let registry = Self {
            child,
            port,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("http://{}/v2/", registry.address()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return registry;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("docker-registry did not start");
    }

    /// `127.0.0.1:<port>`, as an image name starts.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The digest the registry holds for `repository:tag` (its `Docker-Content-Digest`).
    ///
    /// # Panics
    /// When the registry does not answer.
    pub async fn digest(&self, repository: &str, tag: &str) -> Option<String> {
        let response = reqwest::Client::new()
            .head(format!(
                "http://{}/v2/{repository}/manifests/{tag}",
                self.address()
            ))
            .header(
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
            )
            .send()
            .await
            .expect("the registry answers");
        if !response.status().is_success() {
            return None;
        }
        response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}
