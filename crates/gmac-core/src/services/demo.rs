//! Demo mode's sample data: a client, people and teams, allocation rules, and 90 days of
//! generated FOCUS costs up to yesterday, so that every dashboard has something to show.
//! Seeded once: an installation that has imported costs is left alone.

use chrono::Duration;
use gmac_types::{
    Allocation, AuthMethod, CostImportParams, NewAllocationRule, NewClient, NewTeam, NewTeamMember,
    OnRowError, ShareMethod, SubjectKind,
};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::entities::{cost_import, user};
use crate::services::costs::SpooledFile;
use crate::services::{allocation, authz, clients, costs, teams, users};
use crate::{Actor, Core, RequestMeta, Result, focus_gen};

/// The demo's people: email, name, team.
const PEOPLE: [(&str, &str, &str); 5] = [
    ("alice@demo.gmac.local", "Alice Chen", "Platform"),
    ("bruno@demo.gmac.local", "Bruno Diaz", "Platform"),
    ("chidi@demo.gmac.local", "Chidi Okafor", "Data"),
    ("dana@demo.gmac.local", "Dana Levi", "Data"),
    ("emma@demo.gmac.local", "Emma Novak", "Web"),
];
const TEAMS: [&str; 3] = ["Platform", "Data", "Web"];

/// The demo admin as an actor.
async fn actor_for(core: &Core, admin: &user::Model) -> Result<Actor> {
    let loaded = authz::load(&core.db, &admin.id).await?;
    Ok(Actor {
        user_id: admin.id.clone(),
        email: admin.email.clone(),
        display_name: admin.display_name.clone(),
        created_at: admin.created_at,
        session_id: None,
        token_id: None,
        method: AuthMethod::Session,
        grants: loaded.grants,
        permissions: loaded.permissions,
        mfa_enabled: false,
        mfa_enrollment_required: false,
    })
}

/// Fills an installation without costs with the demo's data; returns whether it did.
pub async fn seed(core: &Core, admin: &user::Model) -> Result<bool> {
    if cost_import::Entity::find().count(&core.db).await? > 0 {
        return Ok(false);
    }
    let actor = actor_for(core, admin).await?;
    let meta = RequestMeta {
        request_id: Some("demo-seed".to_owned()),
        ..RequestMeta::default()
    };
    let client = clients::create_client(
        core,
        &actor,
        &meta,
        NewClient {
            name: "Demo Corp".into(),
            description: Some("Sample data of gmac's demo mode.".into()),
        },
    )
    .await?;
    people(core, &actor, &meta).await?;
    rules(core, &actor, &meta).await?;
    import_generated(core, &actor, &meta, client.id).await?;
    Ok(true)
}

/// The demo's teams and people.
async fn people(core: &Core, actor: &Actor, meta: &RequestMeta) -> Result<()> {
    let mut team_ids = Vec::new();
    for name in TEAMS {
        let team = teams::create_team(
            core,
            actor,
            meta,
            NewTeam {
                name: name.into(),
                description: None,
            },
        )
        .await?;
        team_ids.push((name, team.id));
    }
    for (email, name, team) in PEOPLE {
        let created = users::create_user(
            core,
            actor,
            meta,
            gmac_types::NewUser {
                email: email.into(),
                display_name: name.into(),
                password: crate::auth::tokens::generate_token()[..24]
                    .to_owned()
                    .into(),
            },
        )
        .await?;
        if let Some((_, team_id)) = team_ids.iter().find(|(n, _)| *n == team) {
            teams::add_member(
                core,
                actor,
                meta,
                team_id,
                NewTeamMember {
                    user_id: created.id,
                    leader: false,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Owner and team tags allocate; support is shared.
async fn rules(core: &Core, actor: &Actor, meta: &RequestMeta) -> Result<()> {
    for (name, key, kind) in [
        ("Owner tag names the person", "owner", SubjectKind::User),
        ("Team tag names the team", "team", SubjectKind::Team),
    ] {
        allocation::create_rule(
            core,
            actor,
            meta,
            NewAllocationRule {
                client_id: None,
                name: name.into(),
                position: None,
                tag_key: Some(key.into()),
                tag_value: None,
                account: None,
                service: None,
                allocation: Allocation::FromTag { kind },
            },
        )
        .await?;
    }
    allocation::create_rule(
        core,
        actor,
        meta,
        NewAllocationRule {
            client_id: None,
            name: "Support is shared".into(),
            position: Some(1),
            tag_key: None,
            tag_value: None,
            account: None,
            service: Some("AWS Support (Business)".into()),
            allocation: Allocation::Share {
                among: Vec::new(),
                method: ShareMethod::Proportional,
            },
        },
    )
    .await?;

    Ok(())
}

/// 90 days of generated costs up to yesterday, imported like any FOCUS file.
async fn import_generated(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    client_id: String,
) -> Result<()> {
    let options = focus_gen::Options {
        last_day: core.now().date_naive() - Duration::days(1),
        days: 90,
        rows_per_day: 120,
        owners: PEOPLE
            .iter()
            .map(|(email, _, _)| (*email).to_owned())
            .collect(),
        teams: TEAMS.iter().map(|t| (*t).to_owned()).collect(),
        seed: 2026,
        spike_days_ago: Some(4),
    };
    let path = std::env::temp_dir().join(format!("gmac-demo-{}.csv", core.new_id()));
    let written = {
        let file = std::fs::File::create(&path).map_err(anyhow::Error::from)?;
        focus_gen::write(std::io::BufWriter::new(file), &options)
    };
    let result = match written {
        Ok(_) => {
            let file = SpooledFile::from_path(&path, Some("demo-focus.csv".into())).await?;
            costs::import_focus(
                core,
                actor,
                meta,
                &CostImportParams {
                    client_id,
                    on_error: OnRowError::Reject,
                    file_name: Some("demo-focus.csv".into()),
                },
                &file,
            )
            .await
            .map(drop)
        }
        Err(err) => Err(anyhow::Error::from(err).into()),
    };
    let _ = std::fs::remove_file(&path);
    result
}
