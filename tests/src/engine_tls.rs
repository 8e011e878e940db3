//! A remote-style Docker Engine API reached over TLS with client certificates, as Docker's
//! `--tlsverify` serves it on port 2376, made of real parts: certificates made with the
//! `openssl` command line (as Docker's own documentation makes them), and Debian's `caddy`
//! terminating TLS, requiring a client certificate signed by the test's authority, and
//! reverse-proxying to a real Podman API socket (see [`crate::podman`]).
//!
//! Every key is EC P-256 in PKCS#8 PEM (`BEGIN PRIVATE KEY`). Under TLS 1.3 a refused client
//! completes its handshake and sees the refusal on its first read or write: a test should
//! expect the request to fail, not the connection.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `openssl genpkey`'s arguments for an EC P-256 key, which it writes as PKCS#8 PEM (`openssl
/// ecparam -genkey` would write SEC1, `BEGIN EC PRIVATE KEY`).
const EC_KEY: &str = "-algorithm EC -pkeyopt ec_paramgen_curve:P-256";

/// A running Caddy that answers the Docker Engine API over TLS only to clients whose
/// certificate the test's authority signed.
pub struct TlsEngine {
    /// `tcp://127.0.0.1:PORT`, as `DOCKER_HOST` names a TLS engine.
    pub address: String,
    /// The authority's certificate (PEM) that signed the server's and the client's.
    pub ca: String,
    /// The client's certificate (PEM).
    pub client_certificate: String,
    /// The client's key (PKCS#8 PEM).
    pub client_key: String,
    /// A client certificate (PEM) from another authority, which the engine refuses.
    pub stranger_certificate: String,
    /// The key (PKCS#8 PEM) of [`TlsEngine::stranger_certificate`].
    pub stranger_key: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TlsEngine {
    /// Starts Caddy in front of `socket` (a `unix:///…` address, e.g. `Podman::host`) and
    /// waits until it accepts connections on its port.
    pub async fn start(socket: &str) -> Self {
        let path = socket
            .strip_prefix("unix://")
            .expect("the engine's socket is a unix:///… address");
        let dir = tempfile::tempdir().expect("a folder for the TLS engine");
        let d = dir.path();
        authority(d, "ca");
        issue(
            d,
            "server",
            "ca",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        );
        let client = "extendedKeyUsage=clientAuth\n";
        issue(d, "client", "ca", client);
        authority(d, "stranger-ca");
        issue(d, "stranger", "stranger-ca", client);
        let port = crate::loopback::free_port();
        let file = |name: &str| d.join(name).display().to_string();
        let config = serde_json::json!({
            "admin": {"disabled": true},
            "apps": {
                "tls": {"certificates": {"load_files": [{
                    "certificate": file("server.pem"),
                    "key": file("server-key.pem"),
                    "tags": ["engine"],
                }]}},
                "http": {"servers": {"engine": {
                    "listen": [format!("127.0.0.1:{port}")],
                    "automatic_https": {"disable": true},
                    // As Docker's engine: HTTP/1.1 only (and no HTTP/3 listener).
                    "protocols": ["h1"],
                    // Caddy turns strict SNI-Host matching on with client authentication, and a
                    // client of an IP address sends no SNI: every request would be a 421.
                    "strict_sni_host": false,
                    "tls_connection_policies": [{
                        "certificate_selection": {"any_tag": ["engine"]},
                        "client_authentication": {
                            "trusted_ca_certs_pem_files": [file("ca.pem")],
                            "mode": "require_and_verify",
                        },
                    }],
                    "routes": [{"handle": [{
                        "handler": "reverse_proxy",
                        // Logs, events and build output stream as they come.
                        "flush_interval": -1,
                        "upstreams": [{"dial": format!("unix/{path}")}],
                    }]}],
                }}},
            },
        });
        std::fs::write(d.join("caddy.json"), config.to_string()).expect("writing caddy.json");
        let log = d.join("caddy.log");
        let stderr = std::fs::File::create(&log).expect("creating caddy.log");
        let child = Command::new("caddy")
            .args(["run", "--config"])
            .arg(d.join("caddy.json"))
            .env("HOME", d)
            .env("XDG_DATA_HOME", d)
            .env("XDG_CONFIG_HOME", d)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("caddy is installed (cargo xtask test installs it: apt-get install caddy)");
        let read = |name: &str| std::fs::read_to_string(d.join(name)).expect("reading a PEM file");
        let mut engine = Self {
            address: format!("tcp://127.0.0.1:{port}"),
            ca: read("ca.pem"),
            client_certificate: read("client.pem"),
            client_key: read("client-key.pem"),
            stranger_certificate: read("stranger.pem"),
            stranger_key: read("stranger-key.pem"),
            child,
            _dir: dir,
        };
        // A request needs a client certificate; that the port accepts is enough.
        let mut up = false;
        for _ in 0..200 {
            up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if up || engine.child.try_wait().is_ok_and(|s| s.is_some()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            up,
            "caddy did not listen on 127.0.0.1:{port}; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        engine
    }

    /// Stops it (the engine then refuses connections).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `openssl` with `arguments` (split at spaces: file names are relative to `dir`, where it
/// runs), panicking with what it said when it fails.
fn openssl(dir: &Path, arguments: &str) {
    let output = Command::new("openssl")
        .args(arguments.split_whitespace())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {arguments} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An authority: its key `{name}-key.pem` and its self-signed certificate `{name}.pem`.
fn authority(dir: &Path, name: &str) {
    openssl(dir, &format!("genpkey {EC_KEY} -out {name}-key.pem"));
    openssl(
        dir,
        &format!(
            "req -x509 -new -key {name}-key.pem -subj /CN={name} -days 2 \
             -addext basicConstraints=critical,CA:TRUE -out {name}.pem"
        ),
    );
}

/// A key `{name}-key.pem` and a certificate `{name}.pem` signed by the authority `ca`, with
/// `extensions` (an openssl extension file's lines).
fn issue(dir: &Path, name: &str, ca: &str, extensions: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("writing extensions");
    openssl(dir, &format!("genpkey {EC_KEY} -out {name}-key.pem"));
    openssl(
        dir,
        &format!("req -new -key {name}-key.pem -subj /CN={name} -out {name}.csr"),
    );
    openssl(
        dir,
        &format!(
            "x509 -req -in {name}.csr -CA {ca}.pem -CAkey {ca}-key.pem -CAcreateserial -days 2 \
             -extfile {name}.ext -out {name}.pem"
        ),
    );
}
