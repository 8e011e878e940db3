//! A PostgreSQL server for the test suite: the machine's own on 127.0.0.1:5432 when it answers,
//! otherwise a throwaway cluster from the installed binaries, removed afterwards.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::run;

/// A running server the tests may create databases in.
pub(crate) struct Server {
    url: String,
    throwaway: Option<PathBuf>,
    port: u16,
}

impl Server {
    /// Uses 127.0.0.1:5432 if something listens there, else starts a private cluster.
    pub(crate) fn start_or_reuse() -> anyhow::Result<Self> {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
            return Ok(Self {
                url,
                throwaway: None,
                port: 0,
            });
        }
        let local: SocketAddr = ([127, 0, 0, 1], 5432).into();
        if TcpStream::connect_timeout(&local, Duration::from_millis(500)).is_ok() {
            return Ok(Self {
                url: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
                throwaway: None,
                port: 5432,
            });
        }
        Self::start_throwaway()
    }

    fn start_throwaway() -> anyhow::Result<Self> {
        let bin = find_pg_bin()?;
        let dir = std::env::temp_dir().join(format!("gmac-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let as_postgres = |program: PathBuf| {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        };
        if Command::new("id")
            .arg("postgres")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            run(Command::new("useradd").args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "postgres",
            ]))?;
        }
        run(Command::new("chown").arg("postgres").arg(&dir))?;
        let data = dir.join("data");
        run(as_postgres(bin.join("initdb")).arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
        ]))?;
        let conf = format!(
            "listen_addresses='127.0.0.1'\nport={port}\nunix_socket_directories='{}'\nfsync=off\nmax_connections=200\n",
            dir.display()
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| std::io::Write::write_all(&mut f, conf.as_bytes()))?;
        run(as_postgres(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-t", "30", "start"]))?;
        Ok(Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            throwaway: Some(dir),
            port,
        })
    }

    /// The URL of a database the tests connect to in order to create their own.
    pub(crate) fn admin_url(&self) -> &str {
        &self.url
    }

    /// Drops leftover test databases, or stops and removes the throwaway cluster.
    pub(crate) fn cleanup(self) {
        match &self.throwaway {
            Some(dir) => {
                if let Ok(bin) = find_pg_bin() {
                    let _ = Command::new("runuser")
                        .args(["-u", "postgres", "--"])
                        .arg(bin.join("pg_ctl"))
                        .arg("-D")
                        .arg(dir.join("data"))
                        .args(["-m", "fast", "-w", "stop"])
                        .status();
                }
                let _ = std::fs::remove_dir_all(dir);
            }
            None if self.port == 5432 => {
                let _ = Command::new("psql")
                    .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc"])
                    .arg("SELECT 'DROP DATABASE \"' || datname || '\";' FROM pg_database WHERE datname LIKE 'gmac_test_%' OR datname LIKE 'gmac_template_%'")
                    .output()
                    .map(|out| {
                        for statement in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()) {
                            let _ = Command::new("psql")
                                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement])
                                .status();
                        }
                    });
            }
            None => {}
        }
    }
}

fn find_pg_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is neither running on 127.0.0.1:5432 nor installed under /usr/lib/postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    match versions.pop() {
        Some(bin) => Ok(bin),
        None => bail!("no initdb under /usr/lib/postgresql/*/bin"),
    }
}
