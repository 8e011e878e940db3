//! A container host reached over SSH, made of real parts: Debian's OpenSSH server (`sshd`, its
//! own instance on a free loopback port, keys made with the real `ssh-keygen`) in front of a
//! real Podman API socket (see [`crate::podman`]), as `podman system connection add
//! ssh://user@host/run/podman/podman.sock` reaches one.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `sshd` that lets in the client key and forwards to the engine's socket.
pub struct SshEngine {
    /// `ssh://root@127.0.0.1:PORT/…/podman.sock`.
    pub address: String,
    /// The host's public key, as its `.pub` file has it (`ssh-ed25519 AAAA… comment`).
    pub host_key: String,
    /// What `ssh-keyscan` prints for the host: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`.
    pub keyscan: String,
    /// The host's RSA public key (it has an Ed25519 one too, which it shows unless asked).
    pub rsa_host_key: String,
    /// Another host's public key, which this host does not show.
    pub other_host_key: String,
    /// gmac's private key (OpenSSH format, Ed25519), in `authorized_keys`.
    pub private_key: String,
    /// An RSA private key (OpenSSH format), in `authorized_keys` too.
    pub rsa_private_key: String,
    /// A private key the host does not let in.
    pub stranger_key: String,
    /// A private key with a passphrase (`correct horse`).
    pub locked_key: String,
    /// The port sshd listens on.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

/// Makes the key `name` in `dir` with `ssh-keygen` and returns its private and public halves.
fn keygen(dir: &Path, name: &str, kind: &str, passphrase: &str) -> (String, String) {
    let path = dir.join(name);
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", passphrase, "-C", name, "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(made.success(), "ssh-keygen {name} failed");
    let read = |p: &Path| std::fs::read_to_string(p).expect("reading a key");
    (read(&path), read(&path.with_extension("pub")))
}

impl SshEngine {
    /// Starts sshd in front of `socket` (a `unix:///…` address, e.g. `Podman::host`) and
    /// waits until it accepts connections.
    pub async fn start(socket: &str) -> Self {
        let path = socket
            .strip_prefix("unix://")
            .expect("the engine's socket is a unix:///… address");
        let dir = tempfile::tempdir().expect("a folder for sshd");
        let d = dir.path();
        let (_, host_key) = keygen(d, "host", "ed25519", "");
        let (_, rsa_host_key) = keygen(d, "host-rsa", "rsa", "");
        let (_, other_host_key) = keygen(d, "other-host", "ed25519", "");
        let (private_key, client_pub) = keygen(d, "client", "ed25519", "");
        let (rsa_private_key, rsa_pub) = keygen(d, "client-rsa", "rsa", "");
        let (stranger_key, _) = keygen(d, "stranger", "ed25519", "");
        let (locked_key, locked_pub) = keygen(d, "locked", "ed25519", "correct horse");
        std::fs::write(
            d.join("authorized_keys"),
            format!("{client_pub}{rsa_pub}{locked_pub}"),
        )
        .expect("writing authorized_keys");
        let port = crate::loopback::free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nHostKey {rsa_host}\n\
             AuthorizedKeysFile {keys}\n\
             PidFile {pid}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\n\
             StrictModes no\nAllowStreamLocalForwarding yes\nAllowTcpForwarding yes\n\
             LogLevel ERROR\n",
            host = d.join("host").display(),
            rsa_host = d.join("host-rsa").display(),
            keys = d.join("authorized_keys").display(),
            pid = d.join("sshd.pid").display(),
        );
        std::fs::write(d.join("sshd_config"), config).expect("writing sshd_config");
        // sshd refuses to start without its privilege separation folder.
        std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd (as root)");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            // Its waits' probes would each log a closed connection.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd (cargo xtask test installs it: apt-get install openssh-server)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // sshd runs as root (it must, to sign anyone in), and the engine's socket is root's.
        let user = "root";
        let keyscan = format!(
            "[127.0.0.1]:{port} {}",
            host_key
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        );
        Self {
            address: format!("ssh://{user}@127.0.0.1:{port}{path}"),
            host_key: host_key.trim().to_owned(),
            rsa_host_key: rsa_host_key.trim().to_owned(),
            keyscan,
            other_host_key: other_host_key.trim().to_owned(),
            private_key,
            rsa_private_key,
            stranger_key,
            locked_key,
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for SshEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
