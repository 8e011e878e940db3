//! A TCP proxy in front of the real PostgreSQL server, which a test can cut and restore to see
//! how gmac behaves while its database is unreachable. Nothing is mocked: gmac talks to the
//! real server through it.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// A proxy that can be stopped (every connection cut, the port closed) and resumed.
pub struct PgProxy {
    port: u16,
    target: SocketAddr,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl PgProxy {
    /// Listens on a free port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = crate::loopback::listener();
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let port = listener.local_addr()?.port();
        let proxy = Self {
            port,
            target,
            tasks: Arc::new(Mutex::new(JoinSet::new())),
        };
        proxy.serve(listener).await;
        Ok(proxy)
    }

    /// The port to connect to instead of the server's.
    pub fn port(&self) -> u16 {
        self.port
    }

    async fn serve(&self, listener: TcpListener) {
        let tasks = Arc::clone(&self.tasks);
        let target = self.target;
        self.tasks.lock().await.spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                tasks.lock().await.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    }

    /// Cuts every connection and closes the port: the database is "down".
    pub async fn stop(&self) {
        self.tasks.lock().await.abort_all();
        // Let the aborted tasks drop their sockets.
        tokio::task::yield_now().await;
    }

    /// Opens the same port again: the database is "back".
    pub async fn resume(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        self.serve(listener).await;
        Ok(())
    }
}
