//! Container hosts over SSH (`ssh://user@host[:port][/path/to/engine.sock]`), as
//! `podman system connection add` reaches them: gmac signs in with its key, accepts the host
//! only if it shows the key pinned when the target was registered, and forwards each
//! connection to the engine's unix socket there (OpenSSH's `direct-streamlocal`: nothing is
//! run on the host, so Podman, which lacks Docker's `docker system dial-stdio`, works too).
//!
//! On gmac's side the engine is then a unix socket in a folder only gmac may enter, for as
//! long as the [`Tunnel`] lives; bollard and reqwest reach it as they reach a local engine.
//! Connections to a container's port on the host's own network go through the same session
//! (`direct-tcpip`), so health checks need no port published on the host.
//!
//! Sessions are kept for a minute after their last use ([`Tunnel::reach`]): the calls of one
//! deploy step, and the steps after it, share one handshake, and a client made from a tunnel
//! that was let go at once still finds its socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gmac_types::{EngineSsh, SshAddress};
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};

/// The SSH session to a host and the local socket that leads to its engine.
pub struct Tunnel {
    session: Arc<client::Handle<PinnedHost>>,
    socket: std::path::PathBuf,
    accept: tokio::task::AbortHandle,
    /// When it was last handed out or forwarded a connection.
    used: Used,
    /// The folder of `socket` (mode 0700), removed with the tunnel.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tunnel")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        // Connections already forwarded finish on their own (each holds the session).
        self.accept.abort();
    }
}

/// Accepts the host only if it shows the pinned key; remembers what it showed otherwise.
struct PinnedHost {
    key: PublicKey,
    shown: Arc<std::sync::Mutex<Option<String>>>,
}

/// When a tunnel was last used.
type Used = Arc<std::sync::Mutex<std::time::Instant>>;

impl client::Handler for PinnedHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        shown: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = shown else {
            return Ok(false);
        };
        if key.key_data() == self.key.key_data() {
            return Ok(true);
        }
        if let Ok(mut slot) = self.shown.lock() {
            *slot = Some(format!(
                "{} {}",
                key.algorithm().as_str(),
                key.fingerprint(russh::keys::HashAlg::Sha256)
            ));
        }
        Ok(false)
    }
}

/// The pinned host key of `ssh`.
fn pinned_key(ssh: &EngineSsh) -> anyhow::Result<PublicKey> {
    let (_, base64) = gmac_core::services::target_credentials::host_key(&ssh.host_key)
        .ok_or_else(|| anyhow::anyhow!("the host key is not an SSH public key"))?;
    russh::keys::parse_public_key_base64(base64)
        .map_err(|e| anyhow::anyhow!("the host key is not taken: {e}"))
}

/// How long an unused session is kept.
const IDLE: Duration = Duration::from_mins(1);

/// Sessions by host, address and credentials (a digest of them).
type Pool = std::sync::Mutex<std::collections::HashMap<[u8; 32], Arc<Tunnel>>>;

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// What a session is kept under: everything that decides where it leads and who it is.
fn pool_key(address: &SshAddress, ssh: &EngineSsh, at: SocketAddr) -> [u8; 32] {
    use sha2::Digest as _;
    let mut digest = sha2::Sha256::new();
    for part in [
        address.user.as_str(),
        address.host.as_str(),
        address.socket.as_str(),
        &at.to_string(),
        ssh.private_key.expose(),
        ssh.host_key.trim(),
    ] {
        digest.update(part.len().to_be_bytes());
        digest.update(part.as_bytes());
    }
    digest.finalize().into()
}

/// Lets go of the sessions that closed or were not used within [`IDLE`]; answers how many are
/// kept.
fn sweep() -> usize {
    pool().lock().map_or(0, |mut kept| {
        kept.retain(|_, tunnel| tunnel.alive());
        kept.len()
    })
}

/// Sweeps the pool every half [`IDLE`] while it holds sessions, so that one not used again
/// ends (with its socket) even if no other is asked for.
fn start_sweeping() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static SWEEPING: AtomicBool = AtomicBool::new(false);
    if SWEEPING.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async {
        loop {
            tokio::time::sleep(IDLE / 2).await;
            if sweep() == 0 {
                SWEEPING.store(false, Ordering::SeqCst);
                // A session kept since: its caller's start_sweeping saw the flag set and left
                // it to this task, which goes on.
                if sweep() == 0 || SWEEPING.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
        }
    });
}

/// What the host is asked to show: the kind of key pinned (a host has one of each kind, and
/// would otherwise show the kind the client prefers).
fn host_key_kinds(pinned: &PublicKey) -> Vec<russh::keys::Algorithm> {
    use russh::keys::{Algorithm, HashAlg};
    match pinned.algorithm() {
        Algorithm::Rsa { .. } => vec![
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha512),
            },
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha256),
            },
        ],
        other => vec![other],
    }
}

impl Tunnel {
    /// A session to the host of `address` at `at`: one kept from an earlier call while it is
    /// open, or a new one ([`Tunnel::open`]).
    ///
    /// # Errors
    /// As [`Tunnel::open`].
    pub async fn reach(
        address: &SshAddress,
        ssh: &EngineSsh,
        at: SocketAddr,
    ) -> anyhow::Result<Arc<Self>> {
        let key = pool_key(address, ssh, at);
        sweep();
        let kept = pool().lock().ok().and_then(|kept| kept.get(&key).cloned());
        if let Some(tunnel) = kept {
            tunnel.touch();
            return Ok(tunnel);
        }
        let opened = Arc::new(Self::open(address, ssh, at).await?);
        // Another call may have opened one meanwhile: the first one kept is everyone's.
        let tunnel = match pool().lock() {
            Ok(mut kept) => kept.entry(key).or_insert(opened).clone(),
            Err(_) => opened,
        };
        tunnel.touch();
        start_sweeping();
        Ok(tunnel)
    }

    /// Marks it used now.
    fn touch(&self) {
        if let Ok(mut used) = self.used.lock() {
            *used = std::time::Instant::now();
        }
    }

    /// Whether it is still open and was used within [`IDLE`].
    fn alive(&self) -> bool {
        !self.session.is_closed()
            && !self.accept.is_finished()
            && self.used.lock().is_ok_and(|used| used.elapsed() < IDLE)
    }

    /// Signs in to the host of `address` at `at` (its name resolved, and checked against the
    /// egress policy, by the caller) and checks that its engine's socket can be reached.
    ///
    /// # Errors
    /// When the host cannot be reached, shows another key, refuses gmac's key, or has no
    /// engine at the socket (or forbids forwarding to sockets).
    pub async fn open(
        address: &SshAddress,
        ssh: &EngineSsh,
        at: SocketAddr,
    ) -> anyhow::Result<Self> {
        let who = format!("{}@{}:{}", address.user, address.host, address.port);
        let key = russh::keys::decode_secret_key(ssh.private_key.expose(), None)
            .map_err(|e| anyhow::anyhow!("gmac's private key is not taken: {e}"))?;
        let session = signed_in(&who, &address.user, key, ssh, at).await?;
        // The engine's socket answers (and the server forwards to sockets) before it is used.
        within(
            10,
            &format!("{who} did not connect gmac to {}", address.socket),
            session.channel_open_direct_streamlocal(address.socket.clone()),
        )
        .await?
        .map_err(|e| {
            anyhow::anyhow!(
                "{who} signed gmac in but did not connect it to {} ({e}): is the engine's socket there, and does sshd allow AllowStreamLocalForwarding?",
                address.socket
            )
        })?
        .close()
        .await
        .ok();
        // Whoever reaches the local socket has the engine: only gmac's user may.
        let dir = {
            use std::os::unix::fs::PermissionsExt as _;
            tempfile::Builder::new()
                .prefix("gmac-ssh-")
                .permissions(std::fs::Permissions::from_mode(0o700))
                .tempdir()
                .map_err(|e| anyhow::anyhow!("a folder for the engine's socket: {e}"))?
        };
        let socket = dir.path().join("engine.sock");
        let listener = tokio::net::UnixListener::bind(&socket)
            .map_err(|e| anyhow::anyhow!("the engine's local socket: {e}"))?;
        let used = Arc::new(std::sync::Mutex::new(std::time::Instant::now()));
        let session = Arc::new(session);
        let accept = tokio::spawn(forward_to_socket(
            listener,
            session.clone(),
            address.socket.clone(),
            used.clone(),
        ))
        .abort_handle();
        Ok(Self {
            session,
            socket,
            accept,
            used,
            _dir: dir,
        })
    }

    /// The local socket that leads to the engine.
    pub fn socket(&self) -> &std::path::Path {
        &self.socket
    }

    /// Connects to `host:port` as seen from the host (a container's address on its network).
    ///
    /// # Errors
    /// When the host does not connect there.
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> anyhow::Result<russh::ChannelStream<client::Msg>> {
        self.touch();
        let channel = self
            .session
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(|e| anyhow::anyhow!("the host did not connect to {host}:{port}: {e}"))?;
        Ok(channel.into_stream())
    }
}

/// `work`, or an error saying `what` did not happen within `seconds`.
async fn within<T>(
    seconds: u64,
    what: &str,
    work: impl std::future::Future<Output = T>,
) -> anyhow::Result<T> {
    tokio::time::timeout(Duration::from_secs(seconds), work)
        .await
        .map_err(|_| anyhow::anyhow!("{what} within {seconds} s"))
}

/// An SSH session to `who` at `at`, the host shown to be the one pinned in `ssh`, signed in as
/// `user` with `key`.
async fn signed_in(
    who: &str,
    user: &str,
    key: russh::keys::PrivateKey,
    ssh: &EngineSsh,
    at: SocketAddr,
) -> anyhow::Result<client::Handle<PinnedHost>> {
    let stream = within(
        5,
        &format!("{who} did not accept a connection"),
        tokio::net::TcpStream::connect(at),
    )
    .await?
    .map_err(|e| anyhow::anyhow!("{who} does not accept connections: {e}"))?;
    let shown = Arc::new(std::sync::Mutex::new(None));
    let pinned = pinned_key(ssh)?;
    let config = Arc::new(client::Config {
        // Kept a minute after its last use; a dead peer is noticed meanwhile.
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        nodelay: true,
        preferred: russh::Preferred {
            key: std::borrow::Cow::Owned(host_key_kinds(&pinned)),
            ..russh::Preferred::default()
        },
        ..client::Config::default()
    });
    let host = PinnedHost {
        key: pinned,
        shown: shown.clone(),
    };
    let mut session = within(
        10,
        &format!("{who} did not finish the SSH handshake"),
        client::connect_stream(config, stream, host),
    )
    .await?
    .map_err(|e| match shown.lock().ok().and_then(|s| s.clone()) {
        Some(other) => anyhow::anyhow!(
            "{who} showed the host key {other}, not the one given: nothing was sent to it (if the host's key changed, give its new one)"
        ),
        None => anyhow::anyhow!("{who}: SSH failed: {e}"),
    })?;
    // An RSA key signs with SHA-2 unless the host says it takes only SHA-1.
    let hash = match within(5, "", session.best_supported_rsa_hash()).await {
        Ok(Ok(Some(said))) => said,
        _ => Some(russh::keys::HashAlg::Sha256),
    };
    let answer = within(
        10,
        &format!("{who} did not sign gmac in"),
        session.authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)),
    )
    .await?
    .map_err(|e| anyhow::anyhow!("{who}: signing in failed: {e}"))?;
    if !answer.success() {
        anyhow::bail!(
            "{who} refused gmac's key: add its public key to ~{user}/.ssh/authorized_keys there"
        );
    }
    Ok(session)
}

/// Forwards each connection to `listener` to `remote`, the engine's socket on the host.
async fn forward_to_socket(
    listener: tokio::net::UnixListener,
    session: Arc<client::Handle<PinnedHost>>,
    remote: String,
    used: Used,
) {
    loop {
        let mut local = match listener.accept().await {
            Ok((local, _)) => local,
            Err(e) => {
                // Out of descriptors, say: a later connection may be taken.
                tracing::warn!(error = %e, "the engine's local socket did not take a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Ok(mut used) = used.lock() {
            *used = std::time::Instant::now();
        }
        let session = session.clone();
        let remote = remote.clone();
        tokio::spawn(async move {
            let opened = within(
                10,
                "the host did not connect gmac to its engine",
                session.channel_open_direct_streamlocal(remote.clone()),
            )
            .await
            .and_then(|opened| opened.map_err(anyhow::Error::from));
            match opened {
                Ok(channel) => {
                    let mut stream = channel.into_stream();
                    let _ = tokio::io::copy_bidirectional(&mut local, &mut stream).await;
                }
                Err(e) => {
                    tracing::warn!(socket = %remote, error = %e, "the host did not connect gmac to its engine");
                }
            }
        });
    }
}
