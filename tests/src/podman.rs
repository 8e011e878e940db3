//! Podman serving the Docker Engine API on a socket of its own (RECIPES.md: podman with runc,
//! lowered ulimits, a local base image, `podman system service`). No image registry is
//! reachable here, so the base image is made locally from `busybox-static` (it has an httpd).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The local base image: busybox, with `sh` and `httpd`.
pub const BASE_IMAGE: &str = "localhost/gmac-busybox:1";

/// A running `podman system service`.
pub struct Podman {
    /// `unix:///…/podman.sock`, as `DOCKER_HOST` names it.
    pub host: String,
    child: Child,
    dir: tempfile::TempDir,
}

fn podman(conf: &std::path::Path) -> Command {
    let mut command = Command::new("podman");
    command.env("CONTAINERS_CONF", conf);
    command
}

impl Podman {
    /// Starts the service, with the base image in place.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a folder for podman");
        let conf = configure(dir.path());
        let exists = podman(&conf)
            .args(["image", "exists", BASE_IMAGE])
            .status()
            .expect("podman is installed (cargo xtask test installs it: apt-get install podman runc busybox-static)");
        if !exists.success() {
            import_base_image(&conf, dir.path());
        }
        Self::serve(dir, &conf, &[]).await
    }

    /// Starts another engine: a service with storage of its own (`--root`, `--runroot`), so
    /// none of the images and containers of the others, and none of theirs in it.
    pub async fn start_empty() -> Self {
        let dir = tempfile::tempdir().expect("a folder for podman");
        let conf = configure(dir.path());
        let (root, run) = (dir.path().join("root"), dir.path().join("run"));
        let storage = [
            "--root".to_owned(),
            root.display().to_string(),
            "--runroot".to_owned(),
            run.display().to_string(),
        ];
        Self::serve(dir, &conf, &storage).await
    }

    async fn serve(dir: tempfile::TempDir, conf: &std::path::Path, storage: &[String]) -> Self {
        let socket = dir.path().join("podman.sock");
        let child = podman(conf)
            .args(storage)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman system service");
        for _ in 0..200 {
            if socket.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(socket.exists(), "podman system service did not start");
        Self {
            host: format!("unix://{}", socket.display()),
            child,
            dir,
        }
    }
}

/// Writes the service's `containers.conf` into `dir`; answers its path. The default ulimits
/// need `CAP_SYS_RESOURCE`, which these machines' root lacks; crun fails here, runc works.
fn configure(dir: &std::path::Path) -> PathBuf {
    let conf = dir.join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n[engine]\nruntime = \"runc\"\n",
    )
    .expect("writing containers.conf");
    conf
}

impl Podman {
    /// Makes the image `name` from the base image, with `script` as its command (`sh -c`):
    /// a release that behaves as a test needs.
    pub fn image_running(&self, name: &str, script: &str) {
        let conf = self.dir.path().join("containers.conf");
        let context = tempfile::tempdir().expect("a build context");
        let command = serde_json::json!(["/bin/sh", "-c", script]);
        std::fs::write(
            context.path().join("Containerfile"),
            format!("FROM {BASE_IMAGE}\nCMD {command}\n"),
        )
        .expect("writing the Containerfile");
        let built = podman(&conf)
            .args(["build", "-q", "--pull=never", "-t", name])
            .arg(context.path())
            .stdout(Stdio::null())
            .status()
            .expect("podman build");
        assert!(built.success(), "podman build of {name} failed");
    }

    /// Makes two images serving a page titled `Docs serving` and `Docs crashing` on `$PORT`,
    /// both healthy at `/healthz`: `serving` keeps serving, `crashing` exits with an error 2
    /// seconds after it starts (its httpd runs in the background).
    pub fn serving_and_crashing(&self, serving: &str, crashing: &str) {
        let page = "busybox mkdir -p /www && echo \"<h1>$TITLE</h1>\" > /www/index.html \
                    && echo ok > /www/healthz";
        self.image_running(
            serving,
            &format!("TITLE='Docs serving'; {page} && exec httpd -f -p $PORT -h /www"),
        );
        self.image_running(
            crashing,
            &format!(
                "TITLE='Docs crashing'; {page} && httpd -p $PORT -h /www && busybox sleep 2 && exit 1"
            ),
        );
    }
}

/// `localhost/gmac-busybox:1` from the static busybox: `sh` and `httpd` link to it.
fn import_base_image(conf: &std::path::Path, dir: &std::path::Path) {
    let root: PathBuf = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).expect("the image's root");
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("busybox-static is installed");
    std::fs::copy(busybox, root.join("bin/busybox")).expect("copying busybox");
    for applet in ["sh", "httpd", "cat", "ls", "wget"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("an applet");
    }
    let archive = dir.join("rootfs.tar");
    let tarred = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&archive)
        .arg(".")
        .status()
        .expect("tar");
    assert!(tarred.success());
    let imported = podman(conf)
        .args(["import", "--change", "CMD [\"/bin/sh\"]"])
        .arg(&archive)
        .arg(BASE_IMAGE)
        .stdout(Stdio::null())
        .status()
        .expect("podman import");
    assert!(imported.success(), "podman import failed");
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
