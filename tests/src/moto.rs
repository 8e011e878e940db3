//! A real AWS API emulator for tests: the `moto` server, answered through the official AWS SDK.
//! `cargo xtask test` installs it (`pip install "moto[server]==5.2.5"`).

#![expect(clippy::panic, reason = "test harness: a failed set-up panics")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running moto server.
pub struct MotoServer {
    child: Child,
    port: u16,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MotoServer {
    /// Starts one on a free port and waits until it answers.
    ///
    /// # Panics
    /// When moto is not installed or does not start.
    pub async fn start() -> Self {
        let port = crate::loopback::free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m moto.server (pip install \"moto[server]\")");
        let server = Self { child, port };
        let http = reqwest::Client::new();
        // Python starts slowly on a busy machine (a build beside the tests): up to 30 s.
        for _ in 0..600 {
            if http
                .get(format!("{}/moto-api/", server.url()))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto did not start: is it installed? pip install \"moto[server]\"");
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues `GetCostAndUsage` answers: each new set of parameters takes the next one.
    ///
    /// # Panics
    /// When moto refuses them.
    pub async fn queue_cost_and_usage(&self, results: Vec<serde_json::Value>) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/moto-api/static/ce/cost-and-usage-results",
                self.url()
            ))
            .json(&serde_json::json!({ "results": results }))
            .send()
            .await
            .expect("moto answers");
        assert!(
            response.status().is_success(),
            "moto refused the results: {}",
            response.status()
        );
    }
}
