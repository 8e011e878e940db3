//! A real Caddy (Debian's `caddy`) on loopback, driven through its JSON admin API, as gmac
//! drives the reverse proxy beside a container host (RECIPES.md).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `caddy run` whose admin API listens on a loopback port of its own, with the
/// server `gmac` (where gmac puts its routes) on another, plain HTTP.
pub struct Caddy {
    /// `http://127.0.0.1:PORT`, the admin API.
    pub admin: String,
    /// `http://127.0.0.1:PORT`, where the server `gmac` takes traffic.
    pub traffic: String,
    /// `127.0.0.1:port` of its HTTPS listener, when it has one.
    pub https: Option<String>,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Caddy {
    /// Starts Caddy with the server `gmac` without routes and waits for its admin API.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// [`Caddy::start`], with its server `gmac` also answering HTTPS at [`Caddy::https`]:
    /// certificates for the hosts of its routes come from Caddy's own local authority (no
    /// ACME), and that authority is not installed into the system's trust.
    pub async fn start_with_https() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(https: bool) -> Self {
        let free = || crate::loopback::free_port();
        let (port, traffic, tls) = (free(), free(), free());
        let dir = tempfile::tempdir().expect("a folder for caddy");
        let config = dir.path().join("caddy.json");
        let config_json = if https {
            serde_json::json!({
                "admin": {"listen": format!("127.0.0.1:{port}")},
                "apps": {
                    "http": {
                        "http_port": traffic,
                        "https_port": tls,
                        "servers": {"gmac": {
                            "listen": [format!("127.0.0.1:{traffic}"), format!("127.0.0.1:{tls}")],
                            "automatic_https": {"disable_redirects": true},
                            "routes": [],
                        }},
                    },
                    "tls": {"automation": {"policies": [{"issuers": [{"module": "internal"}]}]}},
                    "pki": {"certificate_authorities": {"local": {"install_trust": false}}},
                },
            })
        } else {
            serde_json::json!({
                "admin": {"listen": format!("127.0.0.1:{port}")},
                "apps": {"http": {"servers": {"gmac": {
                    "listen": [format!("127.0.0.1:{traffic}")],
                    "automatic_https": {"disable": true},
                    "routes": [],
                }}}},
            })
        };
        std::fs::write(&config, config_json.to_string()).expect("writing caddy.json");
        let child = Command::new("caddy")
            .args(["run", "--config"])
            .arg(&config)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caddy is installed (cargo xtask test installs it: apt-get install caddy)");
        let caddy = Self {
            admin: format!("http://127.0.0.1:{port}"),
            traffic: format!("http://127.0.0.1:{traffic}"),
            https: https.then(|| format!("127.0.0.1:{tls}")),
            child,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..200 {
            up = http
                .get(format!("{}/config/", caddy.admin))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "caddy's admin API did not answer at {}", caddy.admin);
        caddy
    }

    /// Stops it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        self.stop();
    }
}
