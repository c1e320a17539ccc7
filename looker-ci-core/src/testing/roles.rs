//! FakeLooker's roles: each user holds roles, each role one permission set and one model set, as
//! Looker models them. A user's permissions are the union of its roles' sets; `develop` and
//! `deploy` are enforced by the world, and `GET /users/{id}/roles` shows them.

use serde_json::{Value, json};

/// What every user may do until a test says otherwise (`develop` and `deploy` are enforced).
pub(crate) const DEFAULT_PERMISSIONS: [&str; 8] = [
    "access_data",
    "explore",
    "see_lookml",
    "develop",
    "deploy",
    "save_content",
    "see_schedules",
    "schedule_look_emails",
];

/// Every permission the Admin permission set holds (Looker's `all_access` set). The names are
/// Looker's; the list is what FakeLooker and the doctor's tests need, not Looker's full catalogue.
pub const ALL_PERMISSIONS: &[&str] = &[
    "access_data",
    "see_lookml_dashboards",
    "see_looks",
    "see_user_dashboards",
    "explore",
    "create_table_calculations",
    "save_content",
    "see_sql",
    "see_lookml",
    "develop",
    "deploy",
    "support_access_toggle",
    "use_sql_runner",
    "clear_cache_refresh",
    "see_drill_overlay",
    "manage_spaces",
    "manage_homepage",
    "manage_models",
    "create_prefetches",
    "login_special_email",
    "embed_browse_spaces",
    "embed_save_shared_space",
    "see_alerts",
    "send_outgoing_webhook",
    "send_to_s3",
    "send_to_sftp",
    "send_to_integration",
    "schedule_look_emails",
    "schedule_external_look_emails",
    "sudo",
    "see_datagroups",
    "update_datagroups",
    "see_pdts",
    "see_queries",
    "see_logs",
    "see_users",
    "see_schedules",
    "see_system_activity",
    "mobile_app_access",
    "administer",
];

/// One role: a permission set and a model set under a name. Build it with [`FakeRole::new`] or
/// one of the named roles, then change fields as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeRole {
    /// The role's name.
    pub name: String,
    /// The name of its permission set.
    pub permission_set: String,
    /// The permissions in that set, as Looker names them (e.g. `see_lookml`).
    pub permissions: Vec<String>,
    /// The models the role reaches; `None` is Looker's "All" model set.
    pub models: Option<Vec<String>>,
}

impl FakeRole {
    /// A role with a permission set of its own name holding `permissions`, on every model.
    pub fn new(name: &str, permissions: &[&str]) -> FakeRole {
        FakeRole {
            name: name.to_owned(),
            permission_set: name.to_owned(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            models: None,
        }
    }

    /// Looker's built-in Admin role: the `all_access` Admin permission set, every model.
    pub fn admin() -> FakeRole {
        FakeRole {
            permission_set: "Admin".into(),
            ..FakeRole::new("Admin", ALL_PERMISSIONS)
        }
    }

    /// What a validation-only pipeline needs (LookML, SQL, data tests, content), on `models`.
    pub fn ci_validator(models: &[&str]) -> FakeRole {
        FakeRole {
            models: Some(models.iter().map(|m| (*m).to_owned()).collect()),
            ..FakeRole::new(
                "CI Validator",
                &[
                    "access_data",
                    "explore",
                    "see_lookml",
                    "develop",
                    "see_sql",
                    "see_looks",
                    "see_user_dashboards",
                ],
            )
        }
    }

    /// A role as the bindings describe one: the name `Admin` is Looker's built-in Admin role;
    /// any other name holds `permissions` on `models` (`None`: every model).
    pub fn described(name: &str, permissions: &[String], models: Option<Vec<String>>) -> FakeRole {
        if name == "Admin" {
            return FakeRole::admin();
        }
        FakeRole {
            models,
            ..FakeRole {
                name: name.to_owned(),
                permission_set: name.to_owned(),
                permissions: permissions.to_vec(),
                models: None,
            }
        }
    }

    /// Restrict the role to these models.
    pub fn on_models(mut self, models: &[&str]) -> FakeRole {
        self.models = Some(models.iter().map(|m| (*m).to_owned()).collect());
        self
    }

    fn all_access(&self) -> bool {
        ALL_PERMISSIONS
            .iter()
            .all(|p| self.permissions.iter().any(|held| held == p))
    }

    /// The role as `GET /users/{id}/roles` returns it, with its sets embedded.
    pub(crate) fn to_json(&self, id: usize) -> Value {
        let set_id = |name: &str| format!("{}", name.bytes().map(u64::from).sum::<u64>());
        json!({
            "id": id.to_string(),
            "name": self.name,
            "permission_set_id": set_id(&self.permission_set),
            "permission_set": {
                "id": set_id(&self.permission_set),
                "name": self.permission_set,
                "all_access": self.all_access(),
                "built_in": self.permission_set == "Admin",
                "permissions": self.permissions,
            },
            "model_set_id": if self.models.is_some() { set_id(&self.name) } else { "1".to_owned() },
            "model_set": match &self.models {
                None => json!({"id": "1", "name": "All", "all_access": true, "built_in": true, "models": []}),
                Some(models) => json!({"id": set_id(&self.name), "name": format!("{} models", self.name),
                                       "all_access": false, "built_in": false, "models": models}),
            },
        })
    }
}

/// The role a user holds until a test says otherwise: the permissions every FakeLooker user had
/// before roles existed ([`DEFAULT_PERMISSIONS`]), on every model.
pub(crate) fn default_roles() -> Vec<FakeRole> {
    vec![FakeRole::new("Developer", &DEFAULT_PERMISSIONS)]
}

/// The union of `roles`' permissions, sorted and without repeats.
pub(crate) fn permissions_of(roles: &[FakeRole]) -> Vec<String> {
    let mut all: Vec<String> = roles
        .iter()
        .flat_map(|r| r.permissions.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}
