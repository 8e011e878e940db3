//! A real DNS server on loopback: Debian's dnsmasq (`dnsmasq-base`), answering only the
//! records a test sets (no upstream, no `/etc/hosts`; names under `.test` are its own, so one
//! it has no record of is `NXDOMAIN`), as RECIPES.md runs it. `cargo xtask test` installs it.

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use gmac_core::ports::DomainChecker as _;

/// A running dnsmasq.
pub struct Dns {
    /// `127.0.0.1:port`, for gmac's `dns_resolver` setting.
    pub address: String,
    port: u16,
    child: Mutex<Child>,
    /// The names answered now.
    names: Mutex<Vec<String>>,
}

/// dnsmasq on `port` answering the `A` records `addresses` and the `TXT` records `texts`.
fn spawn(port: u16, addresses: &[(&str, &str)], texts: &[(&str, &str)]) -> Child {
    let mut command = Command::new("dnsmasq");
    command.args([
        "--no-daemon",
        "--keep-in-foreground",
        &format!("--port={port}"),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--user=root",
        "--pid-file=",
        "--local=/test/",
    ]);
    for (name, address) in addresses {
        command.arg(format!("--host-record={name},{address}"));
    }
    for (name, text) in texts {
        command.arg(format!("--txt-record={name},{text}"));
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq is installed (cargo xtask test installs it: apt-get install dnsmasq-base)")
}

impl Dns {
    /// Starts dnsmasq with no records.
    pub async fn start() -> Self {
        let port = crate::loopback::free_port();
        let dns = Self {
            address: format!("127.0.0.1:{port}"),
            port,
            child: Mutex::new(spawn(port, &[], &[])),
            names: Mutex::default(),
        };
        dns.wait_listening().await;
        dns
    }

    async fn wait_listening(&self) {
        let mut up = false;
        for _ in 0..200 {
            up = tokio::net::TcpStream::connect(&self.address).await.is_ok();
            if up {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "dnsmasq did not listen at {}", self.address);
    }

    /// Answers the `A` records `addresses` and the `TXT` records `texts`, and nothing else:
    /// dnsmasq starts again on the same port with them, and is asked until it answers so.
    pub async fn set(&self, addresses: &[(&str, &str)], texts: &[(&str, &str)]) {
        {
            let mut child = self.child.lock().expect("the child");
            let _ = child.kill();
            let _ = child.wait();
            *child = spawn(self.port, addresses, texts);
        }
        self.wait_listening().await;
        let checker = gmac_connectors::domains::DnsDomainChecker::new(
            Some(&self.address),
            std::sync::Arc::new(gmac_core::egress::EgressPolicy::default()),
        )
        .expect("a resolver");
        for (name, address) in addresses {
            let wanted: std::net::IpAddr = address.parse().expect("an address");
            let mut answered = Ok(Vec::new());
            for _ in 0..100 {
                answered = checker.resolve(name).await;
                if answered.as_ref().is_ok_and(|a| a == &[wanted]) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(answered, Ok(vec![wanted]), "dnsmasq answers {name}");
        }
        for (name, text) in texts {
            let answered = checker.txt(name).await;
            assert!(
                answered.as_ref().is_ok_and(|t| t.iter().any(|t| t == text)),
                "dnsmasq answers {name}: {answered:?}"
            );
        }
        // Names answered before and not now are gone.
        let now: Vec<String> = addresses.iter().map(|(n, _)| (*n).to_owned()).collect();
        let before = std::mem::replace(&mut *self.names.lock().expect("the names"), now.clone());
        for name in before.iter().filter(|n| !now.contains(n)) {
            let answered = checker.resolve(name).await;
            assert!(
                answered.as_ref().is_err_and(|f| f.missing),
                "dnsmasq forgot {name}: {answered:?}"
            );
        }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
