//! The processes behind a [`Browser`], read from `/proc`: to wait for them to end, and to prove
//! that none outlives its test, whether the test ends, fails, or dies.

use std::time::{Duration, Instant};

use super::{Browser, browser_available};

/// One process, as `/proc/<pid>/stat` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Process {
    pub(crate) pid: u32,
    ppid: u32,
    pgrp: u32,
    /// `Z` for a zombie: dead, not yet reaped.
    state: char,
    /// When it started, in clock ticks since boot: with the pid, it names one process even if
    /// the pid is reused.
    start: u64,
    pub(crate) name: String,
}

impl Process {
    fn read(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid pgrp …`; the name may hold spaces and parentheses.
        let (_, rest) = stat.split_once(" (")?;
        let (name, fields) = rest.rsplit_once(") ")?;
        let fields: Vec<&str> = fields.split_whitespace().collect();
        Some(Self {
            pid,
            state: fields.first()?.chars().next()?,
            ppid: fields.get(1)?.parse().ok()?,
            pgrp: fields.get(2)?.parse().ok()?,
            start: fields.get(19)?.parse().ok()?,
            name: name.to_owned(),
        })
    }

    /// Whether this very process still runs (a zombie does not).
    pub(crate) fn is_alive(&self) -> bool {
        Self::read(self.pid).is_some_and(|now| now.start == self.start && now.state != 'Z')
    }
}

/// Every process that runs now (zombies left out).
fn running() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter_map(Process::read)
        .filter(|p| p.state != 'Z')
        .collect()
}

/// `pid` and the processes it started, and theirs, that run now.
pub(crate) fn tree(pid: u32) -> Vec<Process> {
    let all = running();
    let mut found: Vec<Process> = all.iter().filter(|p| p.pid == pid).cloned().collect();
    let mut next = 0;
    while let Some(parent) = found.get(next).map(|p| p.pid) {
        found.extend(all.iter().filter(|p| p.ppid == parent).cloned());
        next += 1;
    }
    found
}

/// Waits until no process of group `pgid` runs; whether none does within `limit`.
pub(crate) fn wait_until_group_is_gone(pgid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if !running().iter().any(|p| p.pgrp == pgid) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The browser's ChromeDriver and Chromium processes; fails unless Chromium is among them.
fn processes_of(browser: &Browser) -> Vec<Process> {
    let tree = tree(browser.driver.id());
    assert!(
        tree.iter().any(|p| p.name == "chromium"),
        "Chromium runs under the driver: {tree:?}"
    );
    assert!(
        tree.iter().any(|p| p.name == "chromedriver"),
        "ChromeDriver runs: {tree:?}"
    );
    tree
}

/// Waits a little for `processes` to end (a killed process takes a moment to go); those that
/// still run.
async fn survivors(processes: &[Process]) -> Vec<Process> {
    for _ in 0..50 {
        if processes.iter().all(|p| !p.is_alive()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    processes.iter().filter(|p| p.is_alive()).cloned().collect()
}

#[tokio::test]
async fn closing_a_browser_ends_its_chromedriver_and_every_chromium_process() {
    if !browser_available() {
        return;
    }
    let browser = Browser::start(800, 600).await;
    let processes = processes_of(&browser);
    let profile = browser.profile().to_owned();
    browser.close().await;
    assert_eq!(survivors(&processes).await, []);
    assert!(
        !profile.exists(),
        "the profile {} is removed",
        profile.display()
    );
}

#[tokio::test]
async fn a_browser_dropped_by_a_panicking_test_leaves_no_process_behind() {
    if !browser_available() {
        return;
    }
    let (started, processes) = tokio::sync::oneshot::channel();
    let failing = tokio::spawn(async move {
        let browser = Browser::start(800, 600).await;
        started
            .send((processes_of(&browser), browser.profile().to_owned()))
            .unwrap();
        panic!("a test fails (on purpose) with its browser open");
    });
    assert!(failing.await.unwrap_err().is_panic());
    let (processes, profile) = processes.await.unwrap();
    assert_eq!(survivors(&processes).await, []);
    assert!(
        !profile.exists(),
        "the profile {} is removed",
        profile.display()
    );
}

#[tokio::test]
async fn a_browser_whose_test_process_dies_leaves_no_process_behind() {
    if !browser_available() {
        return;
    }
    let mut browser = Browser::start(800, 600).await;
    let processes = processes_of(&browser);
    let profile = browser.profile().to_owned();
    // A process killed outright runs no destructor, but the kernel closes its files: so does
    // this, with the browser's destructor skipped.
    let held = browser.driver.stdin.take();
    std::mem::forget(browser);
    drop(held);
    let left = survivors(&processes).await;
    let _ = std::fs::remove_dir_all(&profile);
    assert_eq!(left, []);
}
