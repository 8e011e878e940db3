//! A real SMTP server for tests: Python's aiosmtpd, writing each message it receives into a
//! Maildir. `cargo xtask test` installs it (`pip install aiosmtpd`).

#![expect(clippy::panic, reason = "test harness: a failed set-up panics")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running SMTP server and its mailbox.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts one on a free port and waits until it accepts connections.
    ///
    /// # Panics
    /// When aiosmtpd is not installed or does not start.
    pub async fn start() -> Self {
        Self::start_on(crate::loopback::free_port()).await
    }

    /// Starts one on `port` (one a test reserved with [`free_port`], gmac was told of, and
    /// kept unanswered until now).
    ///
    /// # Panics
    /// When aiosmtpd is not installed or does not start.
    pub async fn start_on(port: u16) -> Self {
        Self::launch(port, "Mailbox").await
    }

    /// A server as [`SmtpServer::start_on`] starts, but refusing for good (`550`) every
    /// recipient at `refused.test`, as a server without such a mailbox does. Its Python has
    /// started and loaded aiosmtpd, but it does not listen on `port` until
    /// [`SmtpStandby::answer`]: a test that keeps the mail server away while gmac's retries
    /// run can then bring it up within milliseconds, not the second or so Python takes.
    ///
    /// # Panics
    /// When aiosmtpd is not installed or does not load.
    pub async fn refusing_on_cue(port: u16) -> SmtpStandby {
        Self::standby(port, "Refusing").await
    }

    async fn launch(port: u16, handler: &str) -> Self {
        Self::standby(port, handler).await.answer().await
    }

    async fn standby(port: u16, handler: &str) -> SmtpStandby {
        let maildir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(maildir.path().join("serve.py"), SERVE_PY).expect("the server script");
        let child = Command::new("python3")
            .arg(maildir.path().join("serve.py"))
            .arg(maildir.path())
            .arg(port.to_string())
            .arg(handler)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 (pip install aiosmtpd)");
        let server = Self {
            child,
            port,
            maildir,
        };
        for _ in 0..200 {
            if server.maildir.path().join("loaded").exists() {
                return SmtpStandby { server };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not load: is it installed? pip install aiosmtpd");
    }

    /// The URL gmac's mailer uses.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every recipient a client asked the refusing server for (`RCPT TO`), accepted or not,
    /// oldest first; empty for a server started otherwise.
    pub fn recipients_asked(&self) -> Vec<String> {
        std::fs::read_to_string(self.maildir.path().join("rcpt.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Every message received so far, raw (headers and body), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("mail/new");
        let mut files: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let modified = e.metadata().ok()?.modified().ok()?;
                        Some((modified, std::fs::read_to_string(e.path()).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort_by_key(|(modified, _)| *modified);
        files.into_iter().map(|(_, text)| text).collect()
    }

    /// Waits up to five seconds for `n` messages.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

/// An SMTP server loaded but not yet listening: see [`SmtpServer::refusing_on_cue`].
pub struct SmtpStandby {
    server: SmtpServer,
}

impl SmtpStandby {
    /// Starts listening and waits until it says it does (not merely until something accepts
    /// connections on the port, which another process may have taken meanwhile).
    ///
    /// # Panics
    /// When it does not listen within five seconds (the port taken, say).
    pub async fn answer(self) -> SmtpServer {
        std::fs::write(self.server.maildir.path().join("answer"), "").expect("the cue");
        for _ in 0..100 {
            if self.server.maildir.path().join("listening").exists() {
                return self.server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on 127.0.0.1:{}", self.server.port);
    }
}

/// The server: `serve.py DIR PORT HANDLER` loads aiosmtpd, says so (`DIR/loaded`), waits for
/// `DIR/answer`, then serves on `127.0.0.1:PORT` into the Maildir `DIR/mail` (`DIR/listening`
/// once it does; a port it cannot bind ends it). `Refusing`
/// refuses every `@refused.test` recipient for good and logs each recipient asked for to
/// `DIR/rcpt.log`.
const SERVE_PY: &str = r"import os, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

directory, port, handler = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with open(os.path.join(directory, 'rcpt.log'), 'a') as log:
            log.write(address + '\n')
        if address.lower().endswith('@refused.test'):
            return '550 5.1.1 <%s>: no such mailbox here' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'


kind = Refusing if handler == 'Refusing' else Mailbox
open(os.path.join(directory, 'loaded'), 'w').close()
while not os.path.exists(os.path.join(directory, 'answer')):
    time.sleep(0.01)
Controller(kind(os.path.join(directory, 'mail')), hostname='127.0.0.1', port=port).start()
open(os.path.join(directory, 'listening'), 'w').close()
while True:
    time.sleep(3600)
";
