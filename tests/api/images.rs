//! Images built for real (issue 11, point 5): the static-site template, rendered as gmac
//! pushes it, built through the Docker Engine API (`bollard`) served by Podman, then run and
//! served from its container on loopback.

use std::collections::BTreeMap;

use gmac_connectors::containers::DockerEngine;
use gmac_core::ports::{ContainerHost, ContainerRun, ImageBuild, ImageBuildError};
use gmac_core::templates::{self, RenderContext};
use gmac_tests::podman::{BASE_IMAGE, Podman};

/// The static site's first commit, as files.
fn static_site(title: &str) -> Vec<(String, Vec<u8>)> {
    let template = templates::find("static-site").unwrap();
    let parameters = template
        .validate(&serde_json::json!({"title": title}))
        .unwrap();
    template
        .render(
            RenderContext {
                service_name: "docs",
                project: "Web",
                client: "Acme",
            },
            &parameters,
        )
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.content.into_bytes()))
        .collect()
}

#[tokio::test]
async fn the_static_site_template_is_built_through_podman_and_served_from_its_container() {
    let podman = Podman::start().await;
    let engine = DockerEngine::connect(&podman.host).unwrap();
    let tag = format!("localhost/gmac-test/docs:{}", uuid::Uuid::new_v4().simple());
    let labels = BTreeMap::from([
        ("gmac.io/service".to_owned(), "svc-1".to_owned()),
        ("gmac.io/environment".to_owned(), "staging".to_owned()),
        ("gmac.io/project".to_owned(), "prj-1".to_owned()),
        ("gmac.io/client".to_owned(), "cli-1".to_owned()),
    ]);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = lines.clone();
    let image = engine
        .build_image(
            &ImageBuild {
                context: static_site("Acme docs"),
                dockerfile: "Dockerfile".to_owned(),
                tags: vec![tag.clone()],
                // The template's base image is a build argument: here the local one.
                build_args: BTreeMap::from([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())]),
                labels: labels.clone(),
                no_cache: false,
                ..ImageBuild::default()
            },
            &move |line| seen.lock().unwrap().push(line),
        )
        .await
        .unwrap();
    assert!(!image.is_empty());
    let log = lines.lock().unwrap().join("\n");
    assert!(
        log.contains("FROM"),
        "the builder's steps were logged: {log}"
    );
    let found = engine.image_labels(&tag).await.unwrap();
    for (key, value) in &labels {
        assert_eq!(found.get(key), Some(value), "{key}");
    }

    // The image runs: its health check and its page answer on loopback.
    let port = gmac_tests::loopback::free_port();
    let container = engine
        .run_container(&ContainerRun {
            image: tag.clone(),
            name: format!("gmac-test-{}", uuid::Uuid::new_v4().simple()),
            container_port: 8080,
            host_port: port,
            labels,
        })
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut health = None;
    for _ in 0..100 {
        if let Ok(answer) = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            health = Some(answer.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = match http.get(format!("http://127.0.0.1:{port}/")).send().await {
        Ok(answer) => answer.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    engine.remove_container(&container).await.unwrap();
    assert_eq!(health.map(|s| s.as_u16()), Some(200));
    assert!(page.contains("Acme docs"), "{page}");
}

#[tokio::test]
async fn a_broken_dockerfile_fails_the_build_and_names_the_failing_line() {
    let podman = Podman::start().await;
    let engine = DockerEngine::connect(&podman.host).unwrap();
    let mut context = static_site("Docs");
    for (path, content) in &mut context {
        if path == "Dockerfile" {
            let text = String::from_utf8(content.clone()).unwrap();
            *content = text
                .replace("COPY site/ /www/", "COPY nothing-here/ /www/")
                .into_bytes();
        }
    }
    let failed = engine
        .build_image(
            &ImageBuild {
                context,
                dockerfile: "Dockerfile".to_owned(),
                tags: vec![format!(
                    "localhost/gmac-test/broken:{}",
                    uuid::Uuid::new_v4().simple()
                )],
                build_args: BTreeMap::from([("BASE_IMAGE".to_owned(), BASE_IMAGE.to_owned())]),
                ..ImageBuild::default()
            },
            &|_| {},
        )
        .await
        .unwrap_err();
    match failed {
        ImageBuildError::Failed(message) => {
            assert!(message.contains("nothing-here"), "{message}");
        }
        other @ ImageBuildError::Unavailable(_) => panic!("not the build's fault: {other}"),
    }
}
