//! A Deployment's rollout read to the truth (issue 12, point 2), as pure functions over what
//! the API server answers.
//!
//! The order is `kubectl rollout status`'s: first the controller must have seen the spec
//! (`status.observedGeneration` against `metadata.generation`: until then the status is the
//! old template's, and says "done" for it; kube's `is_deployment_completed` skips this), then a
//! passed progress deadline is a failure, then the updated, old and available replicas.

use std::fmt::Write as _;

use gmac_core::ports::{ContainerState, PodState};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Where a rollout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloutState {
    /// Still under way: what it waits for.
    Waiting(String),
    /// Every replica runs the new template and is available.
    Done {
        /// The generation reached.
        generation: i64,
        /// Available replicas.
        available: i32,
    },
    /// The cluster gave up on it: its message.
    Failed(String),
}

/// Where the rollout of `deployment` stands.
pub fn rollout_state(deployment: &Deployment) -> RolloutState {
    let generation = deployment.metadata.generation.unwrap_or(0);
    let Some(status) = &deployment.status else {
        return RolloutState::Waiting("the controller has not reported on it yet".to_owned());
    };
    let observed = status.observed_generation.unwrap_or(0);
    if observed < generation {
        return RolloutState::Waiting(format!(
            "the controller has not seen generation {generation} yet (it reports on {observed})"
        ));
    }
    let progressing = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing");
    if let Some(c) = progressing
        && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    {
        return RolloutState::Failed(format!(
            "its progress deadline passed: {}",
            c.message.as_deref().unwrap_or("no progress")
        ));
    }
    let wanted = deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < wanted {
        return RolloutState::Waiting(format!(
            "{updated} of {wanted} new replicas have been updated"
        ));
    }
    if replicas > updated {
        return RolloutState::Waiting(format!(
            "{} old replicas are pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return RolloutState::Waiting(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    RolloutState::Done {
        generation,
        available,
    }
}

/// Why a rollout's pods do not become available, from the pods and the warnings about them:
/// a waiting container's reason (`CrashLoopBackOff`, `ImagePullBackOff`, …) and message, its
/// last exit, and each distinct warning. Empty when nothing says.
pub fn pod_reasons(pods: &[Pod], events: &[Event]) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    let mut add = |line: String| {
        if !reasons.contains(&line) {
            reasons.push(line);
        }
    };
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("a pod");
        let statuses = pod
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten());
        for container in statuses {
            let Some(waiting) = container.state.as_ref().and_then(|s| s.waiting.as_ref()) else {
                continue;
            };
            let mut line = format!(
                "pod {name}: {}",
                waiting.reason.as_deref().unwrap_or("waiting")
            );
            if let Some(message) = &waiting.message {
                let _ = write!(line, " ({message})");
            }
            if let Some(exit) = container
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
            {
                let _ = write!(line, ", last exit code {}", exit.exit_code);
            }
            if container.restart_count > 0 {
                let _ = write!(line, ", {} restarts", container.restart_count);
            }
            add(line);
        }
    }
    for event in events {
        if event.type_.as_deref() != Some("Warning") {
            continue;
        }
        add(format!(
            "{}: {}",
            event.reason.as_deref().unwrap_or("Warning"),
            event.message.as_deref().unwrap_or_default()
        ));
    }
    reasons.truncate(8);
    reasons
}

/// A Kubernetes time in UTC.
fn utc(time: &Time) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(
        time.0.as_second(),
        u32::try_from(time.0.subsec_nanosecond()).unwrap_or(0),
    )
}

/// How a pod stands, as the service's container (`app`) tells it: whether it runs, its
/// restarts, how it last ended (the current end while it is stopped, else the one before the
/// last restart; `OOMKilled` is out of memory), and why it waits, when it does.
pub fn pod_state(pod: &Pod) -> PodState {
    let name = pod.metadata.name.clone().unwrap_or_default();
    // The service's own container (a mesh's or an agent's beside it says nothing of it); the
    // kubelet lists them by name, not in the spec's order.
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref());
    let Some(container) = statuses.and_then(|all| {
        all.iter()
            .find(|c| c.name == super::manifests::CONTAINER)
            .or_else(|| all.first())
    }) else {
        // Not scheduled, or no kubelet has reported yet.
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
        return PodState {
            name,
            state: ContainerState::default(),
            waiting: Some(phase.unwrap_or_else(|| "Pending".to_owned())),
        };
    };
    let now = container.state.as_ref();
    let running = now.and_then(|s| s.running.as_ref());
    let ended: Option<&ContainerStateTerminated> = now
        .and_then(|s| s.terminated.as_ref())
        .or_else(|| container.last_state.as_ref()?.terminated.as_ref());
    let waiting = now.and_then(|s| s.waiting.as_ref()).map(|w| {
        let reason = w.reason.as_deref().unwrap_or("Waiting");
        match w.message.as_deref().filter(|m| !m.is_empty()) {
            Some(message) => format!("{reason}: {message}"),
            None => reason.to_owned(),
        }
    });
    let said = ended.and_then(|e| {
        let reason = e.reason.as_deref().unwrap_or_default();
        match e.message.as_deref().filter(|m| !m.is_empty()) {
            Some(message) => Some(format!("{reason}: {message}")),
            None => (!matches!(reason, "" | "Error" | "Completed" | "OOMKilled"))
                .then(|| reason.to_owned()),
        }
    });
    PodState {
        name,
        state: ContainerState {
            running: running.is_some(),
            exit_code: ended.map(|e| i64::from(e.exit_code)),
            restarts: i64::from(container.restart_count),
            last_lines: Vec::new(),
            started_at: running
                .and_then(|r| r.started_at.as_ref())
                .or_else(|| ended.and_then(|e| e.started_at.as_ref()))
                .and_then(utc),
            finished_at: ended.and_then(|e| e.finished_at.as_ref()).and_then(utc),
            oom_killed: ended.is_some_and(|e| e.reason.as_deref() == Some("OOMKilled")),
            error: said,
        },
        waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_crash_looping_pod_tells_its_last_exit_and_why_it_waits() {
        let state = pod_state(&pod(r#"{
          "metadata": {"name": "web-7c9d-x2"},
          "status": {"phase": "Running", "containerStatuses": [{
            "name": "app", "image": "web:2", "imageID": "", "ready": false, "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container=app"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
              "startedAt": "2026-12-07T08:00:01Z", "finishedAt": "2026-12-07T08:00:02Z"}}}]}
        }"#));
        assert_eq!(state.name, "web-7c9d-x2");
        assert!(!state.state.running);
        assert_eq!(state.state.restarts, 4);
        assert_eq!(state.state.exit_code, Some(1));
        assert!(!state.state.oom_killed);
        assert_eq!(
            state.state.error, None,
            "`Error` alone says nothing the code does not"
        );
        assert_eq!(
            state.state.finished_at.map(|t| t.to_rfc3339()),
            Some("2026-12-07T08:00:02+00:00".to_owned())
        );
        assert_eq!(
            state.waiting.as_deref(),
            Some("CrashLoopBackOff: back-off 40s restarting failed container=app")
        );
    }

    #[test]
    fn a_running_pod_that_was_killed_for_memory_says_so() {
        let state = pod_state(&pod(r#"{
          "metadata": {"name": "web-1"},
          "status": {"phase": "Running", "containerStatuses": [{
            "name": "app", "image": "web:2", "imageID": "", "ready": true, "restartCount": 1,
            "state": {"running": {"startedAt": "2026-12-07T09:00:00Z"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
              "finishedAt": "2026-12-07T08:59:58Z"}}}]}
        }"#));
        assert!(state.state.running);
        assert_eq!(state.state.exit_code, Some(137));
        assert!(state.state.oom_killed);
        assert_eq!(state.waiting, None);
        assert_eq!(
            state.state.started_at.map(|t| t.to_rfc3339()),
            Some("2026-12-07T09:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn a_pod_no_kubelet_reported_on_is_pending() {
        let state = pod_state(&pod(
            r#"{"metadata": {"name": "web-2"}, "status": {"phase": "Pending"}}"#,
        ));
        assert!(!state.state.running);
        assert_eq!(state.state.exit_code, None);
        assert_eq!(state.waiting.as_deref(), Some("Pending"));
    }

    fn deployment(json: &str) -> Deployment {
        serde_json::from_str(json).unwrap()
    }

    /// As the API server answers right after an apply that changed the image: the new
    /// generation, and the status of the old one (fully rolled out).
    const STALE: &str = r#"{
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web", "namespace": "gmac-web-staging", "generation": 3, "resourceVersion": "8812"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"gmac.io/service": "web"}},
               "template": {"metadata": {"labels": {"gmac.io/service": "web"}}, "spec": {"containers": [{"name": "app", "image": "web:2"}]}}},
      "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                 "conditions": [
                   {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                   {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"web-5d8f7c6b9\" has successfully progressed."}]}
    }"#;

    #[test]
    fn a_status_of_the_generation_before_is_not_done_whatever_its_counts_say() {
        let state = rollout_state(&deployment(STALE));
        assert_eq!(
            state,
            RolloutState::Waiting(
                "the controller has not seen generation 3 yet (it reports on 2)".to_owned()
            )
        );
        // Once seen and counted, it is.
        let seen = STALE.replace(r#""observedGeneration": 2"#, r#""observedGeneration": 3"#);
        assert_eq!(
            rollout_state(&deployment(&seen)),
            RolloutState::Done {
                generation: 3,
                available: 2
            }
        );
    }

    #[test]
    fn updated_old_and_available_replicas_are_waited_for_in_that_order() {
        let at = |replicas: i32, updated: i32, available: i32| {
            let json = STALE
                .replace(r#""observedGeneration": 2"#, r#""observedGeneration": 3"#)
                .replace(
                    r#""replicas": 2, "updated"#,
                    &format!(r#""replicas": {replicas}, "updated"#),
                )
                .replace(
                    r#""updatedReplicas": 2"#,
                    &format!(r#""updatedReplicas": {updated}"#),
                )
                .replace(
                    r#""availableReplicas": 2"#,
                    &format!(r#""availableReplicas": {available}"#),
                );
            rollout_state(&deployment(&json))
        };
        assert_eq!(
            at(3, 1, 2),
            RolloutState::Waiting("1 of 2 new replicas have been updated".to_owned())
        );
        assert_eq!(
            at(3, 2, 2),
            RolloutState::Waiting("1 old replicas are pending termination".to_owned())
        );
        assert_eq!(
            at(2, 2, 1),
            RolloutState::Waiting("1 of 2 updated replicas are available".to_owned())
        );
        let none = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "generation": 1},
            "spec": {"selector": {}, "template": {}}}"#;
        assert!(matches!(
            rollout_state(&deployment(none)),
            RolloutState::Waiting(_)
        ));
    }

    #[test]
    fn a_passed_progress_deadline_is_a_failure_even_with_old_replicas_available() {
        let json = STALE
            .replace(r#""observedGeneration": 2"#, r#""observedGeneration": 3"#)
            .replace(r#""updatedReplicas": 2"#, r#""updatedReplicas": 1"#)
            .replace(
                r#""reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"web-5d8f7c6b9\" has successfully progressed.""#,
                r#""reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-7c9d\" has timed out progressing.""#,
            )
            .replace(r#""type": "Progressing", "status": "True""#, r#""type": "Progressing", "status": "False""#);
        assert_eq!(
            rollout_state(&deployment(&json)),
            RolloutState::Failed(
                "its progress deadline passed: ReplicaSet \"web-7c9d\" has timed out progressing."
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_pods_say_why_crash_loop_image_pull_or_probe() {
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[
            {"metadata": {"name": "web-7c9d-x1"}, "status": {"phase": "Running", "containerStatuses": [
              {"name": "app", "image": "web:2", "imageID": "", "ready": false, "restartCount": 4,
               "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container=app pod=web-7c9d-x1"}},
               "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}},
            {"metadata": {"name": "web-7c9d-x2"}, "status": {"phase": "Pending", "containerStatuses": [
              {"name": "app", "image": "web:3", "imageID": "", "ready": false, "restartCount": 0,
               "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"web:3\""}}}]}},
            {"metadata": {"name": "web-5d8f-ok"}, "status": {"phase": "Running", "containerStatuses": [
              {"name": "app", "image": "web:1", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]}}
            ]"#,
        )
        .unwrap();
        let events: Vec<Event> = serde_json::from_str(
            r#"[
            {"metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "web-7c9d-x1"}, "type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 500"},
            {"metadata": {"name": "e2"}, "involvedObject": {"kind": "Pod", "name": "web-7c9d-x1"}, "type": "Normal", "reason": "Pulled", "message": "Container image \"web:2\" already present on machine"},
            {"metadata": {"name": "e3"}, "involvedObject": {"kind": "Pod", "name": "web-7c9d-x1"}, "type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 500"}
            ]"#,
        )
        .unwrap();
        assert_eq!(
            pod_reasons(&pods, &events),
            [
                "pod web-7c9d-x1: CrashLoopBackOff (back-off 40s restarting failed container=app pod=web-7c9d-x1), last exit code 1, 4 restarts",
                "pod web-7c9d-x2: ImagePullBackOff (Back-off pulling image \"web:3\")",
                "Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500",
            ]
        );
        assert!(pod_reasons(&pods[2..], &[]).is_empty());
    }
}
