//! Ports on loopback that reach whoever bound them.
//!
//! Podman publishes a container's port through a NAT rule for `127.0.0.1:PORT`, and conmon
//! holds the port only while the container runs. When a container exits, conmon lets the port
//! go before the rule is removed (half a second here, longer when the cleanup is slow), and the
//! kernel may hand that port to the next `bind("127.0.0.1:0")`. A connection to it then goes to
//! the container, not to the test's server: "connection refused" (CI, 2026-12-07). So a port is
//! taken only once a connection to it has been seen arriving on its own listener.

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A listener on a free loopback port that connections to `127.0.0.1:port` do reach.
///
/// # Panics
/// When no such port is found in 50 tries.
pub fn listener() -> TcpListener {
    (0..50)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("binding a port on loopback"))
        .find(reaches)
        .expect("a loopback port not taken over by a container's NAT rule, in 50 tries")
}

/// A free loopback port for a server started by another program. It stays free of NAT rules
/// meanwhile: Podman picks published ports among ports not in use, and rules for older ones
/// are checked here.
pub fn free_port() -> u16 {
    listener().local_addr().expect("the bound address").port()
}

/// Whether a connection to the listener's own port arrives on it.
fn reaches(listener: &TcpListener) -> bool {
    let Ok(address) = listener.local_addr() else {
        return false;
    };
    let Ok(probe) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let Ok(from) = probe.local_addr() else {
        return false;
    };
    if listener.set_nonblocking(true).is_err() {
        return false;
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    let reached = loop {
        match listener.accept() {
            Ok((_, peer)) if peer == from => break true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => break false,
        }
    };
    listener.set_nonblocking(false).is_ok() && reached
}
