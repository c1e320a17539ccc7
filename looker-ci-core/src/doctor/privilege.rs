//! The least-privilege checks: the API user's roles (`GET /user`, `GET /users/{id}/roles`) against
//! what the pipeline's commands need.

use serde_json::Value;

use super::permissions::{DANGEROUS, for_command, needed_by};
use super::{Area, DoctorOptions, Findings, Level, LookerUser, RoleSummary};
use crate::client::{ApiCall, LookerClient};

pub(super) async fn check(
    client: &LookerClient,
    options: &DoctorOptions,
    findings: &mut Findings,
) -> Option<LookerUser> {
    let me = match client.me_json().await {
        Ok(me) => me,
        Err(e) => {
            findings.add(
                Area::Identity,
                Level::Error,
                "identity.login-failed",
                format!("cannot log in to Looker and read the API user: {e}"),
                None,
            );
            return None;
        }
    };
    let id = match &me["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let roles = match ApiCall::get(&format!("/users/{id}/roles")) {
        Ok(call) => client.request::<Vec<Value>>(call).await,
        Err(e) => Err(e),
    };
    let roles: Vec<RoleSummary> = match roles {
        Ok(roles) => roles.iter().map(role_summary).collect(),
        Err(e) => {
            findings.add(
                Area::Privilege,
                Level::Warning,
                "privilege.roles-unreadable",
                format!("the API user's roles cannot be read, so privilege is not checked: {e}"),
                None,
            );
            return Some(LookerUser {
                id,
                roles: Vec::new(),
            });
        }
    };
    let mut held: Vec<&str> = roles
        .iter()
        .flat_map(|r| r.permissions.iter().map(String::as_str))
        .collect();
    held.sort_unstable();
    held.dedup();
    let needed = needed_by(&options.commands);
    let who = format!("Looker user {id}");

    let admin_roles: Vec<&str> = roles
        .iter()
        .filter(|r| r.permission_set == "Admin" || r.permissions.iter().any(|p| p == "administer"))
        .map(|r| r.name.as_str())
        .collect();
    for (permission, what) in DANGEROUS {
        if held.contains(permission) {
            findings.add(
                Area::Privilege,
                Level::Error,
                if *permission == "administer" {
                    "privilege.admin"
                } else {
                    "privilege.sudo"
                },
                format!("{who} holds `{permission}` ({what}){}", if admin_roles.is_empty() {
                    String::new()
                } else {
                    format!(" through the role(s) {}", admin_roles.join(", "))
                }),
                Some("give the API user a role whose permission set holds only what the pipeline needs (see the notes below)".into()),
            );
        }
    }
    for permission in &needed {
        if !held.contains(permission) {
            let commands: Vec<&str> = options
                .commands
                .iter()
                .filter(|c| for_command(c).is_some_and(|e| e.needs.contains(permission)))
                .map(String::as_str)
                .collect();
            findings.add(
                Area::Privilege,
                Level::Error,
                "privilege.missing",
                format!(
                    "{who} lacks `{permission}`, which `looker-ci {}` needs",
                    commands.join("`, `looker-ci ")
                ),
                Some(format!(
                    "add `{permission}` to the API user's permission set"
                )),
            );
        }
    }
    // An administrator's surplus is every permission: the error above already says so.
    if admin_roles.is_empty() {
        for permission in &held {
            if !needed.contains(permission) && !DANGEROUS.iter().any(|(d, _)| d == permission) {
                findings.add(
                    Area::Privilege,
                    Level::Warning,
                    "privilege.surplus",
                    format!(
                        "{who} holds `{permission}`, which none of the commands {} needs",
                        options.commands.join(", ")
                    ),
                    Some(format!(
                        "remove `{permission}` from the API user's permission set"
                    )),
                );
            }
        }
    }
    for role in roles.iter().filter(|r| r.models.is_none()) {
        findings.add(
            Area::Privilege,
            Level::Warning,
            "privilege.all-models",
            format!(
                "role `{}` reaches every model (model set \"All\")",
                role.name
            ),
            Some("use a model set with only the models of the projects the pipeline checks".into()),
        );
    }
    for command in &options.commands {
        if let Some(entry) = for_command(command) {
            let lacking: Vec<&str> = entry
                .needs
                .iter()
                .copied()
                .filter(|p| !held.contains(p))
                .collect();
            findings.add(
                Area::Privilege,
                Level::Note,
                "privilege.command",
                format!(
                    "`looker-ci {}` needs {} ({}): {}",
                    entry.command,
                    entry.needs.join(", "),
                    entry.why,
                    if lacking.is_empty() {
                        "all held".to_owned()
                    } else {
                        format!("lacking {}", lacking.join(", "))
                    }
                ),
                None,
            );
        }
    }
    Some(LookerUser { id, roles })
}

fn role_summary(role: &Value) -> RoleSummary {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let set = &role["permission_set"];
    let models = &role["model_set"];
    RoleSummary {
        name: text(&role["name"]),
        permission_set: text(&set["name"]),
        permissions: set["permissions"]
            .as_array()
            .map(|p| p.iter().map(text).collect())
            .unwrap_or_default(),
        models: if models["all_access"].as_bool().unwrap_or(false) {
            None
        } else {
            Some(
                models["models"]
                    .as_array()
                    .map(|m| m.iter().map(text).collect())
                    .unwrap_or_default(),
            )
        },
    }
}
