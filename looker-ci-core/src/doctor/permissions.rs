//! Which Looker permissions each `looker-ci` command needs: the doctor compares them with what the
//! API user holds, and the command quotes them when Looker answers 403. docs/security.md shows
//! the same table; a test keeps the two in step.

/// One command and the permissions it needs, with the calls that need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandPermissions {
    /// The `looker-ci` subcommand, e.g. `sql`.
    pub command: &'static str,
    /// The Looker permissions it needs, e.g. `see_lookml`.
    pub needs: &'static [&'static str],
    /// What the command does that needs them.
    pub why: &'static str,
}

/// The commands of a pipeline, in the order `looker-ci --help` lists them.
pub const COMMAND_PERMISSIONS: &[CommandPermissions] = &[
    CommandPermissions {
        command: "lookml",
        needs: &["see_lookml", "develop"],
        why: "reads the project and switches the dev workspace to the branch under test, then runs the LookML validator",
    },
    CommandPermissions {
        command: "sql",
        needs: &["see_lookml", "develop", "access_data", "explore", "see_sql"],
        why: "reads explores' fields, runs one query per explore (access_data, explore) and compiles SQL for incremental runs (see_sql)",
    },
    CommandPermissions {
        command: "assert",
        needs: &["see_lookml", "develop", "access_data"],
        why: "runs the project's LookML data tests, which query the warehouse",
    },
    CommandPermissions {
        command: "content",
        needs: &["see_lookml", "develop", "see_looks", "see_user_dashboards"],
        why: "runs the content validator and reads folders, Looks and dashboards",
    },
    CommandPermissions {
        command: "deploy",
        needs: &["develop", "deploy"],
        why: "deploys a branch or commit to production",
    },
    CommandPermissions {
        command: "run-schedule",
        needs: &["see_schedules", "schedule_look_emails"],
        why: "runs a scheduled plan once",
    },
    CommandPermissions {
        command: "trigger-datagroup",
        needs: &["update_datagroups"],
        why: "resets a datagroup's cache so PDTs rebuild",
    },
];

/// The commands a validation-only pipeline runs, the doctor's default.
pub const VALIDATION_COMMANDS: &[&str] = &["lookml", "sql", "assert", "content"];

/// Permissions that let a user act far beyond any pipeline: holding one is an error.
pub const DANGEROUS: &[(&str, &str)] = &[
    (
        "administer",
        "full administrator: can change any setting, user and credential",
    ),
    ("sudo", "can act as any other user"),
];

/// The entry for `command`.
pub fn for_command(command: &str) -> Option<&'static CommandPermissions> {
    COMMAND_PERMISSIONS.iter().find(|c| c.command == command)
}

/// The union of what `commands` need, sorted.
pub fn needed_by(commands: &[String]) -> Vec<&'static str> {
    let mut needs: Vec<&'static str> = commands
        .iter()
        .filter_map(|c| for_command(c))
        .flat_map(|c| c.needs.iter().copied())
        .collect();
    needs.sort_unstable();
    needs.dedup();
    needs
}

/// A sentence for a 403 from Looker during `command`: what the command needs and how to check.
pub fn explain_forbidden(command: &str) -> Option<String> {
    let entry = for_command(command)?;
    Some(format!(
        "`looker-ci {}` needs the Looker permissions {} ({}); `looker-ci doctor --command {}` \
         shows which ones the API user lacks",
        entry.command,
        entry.needs.join(", "),
        entry.why,
        entry.command
    ))
}

/// `error` with, when it is Looker's 403, a hint naming what `command` needs (unless the error
/// already has one). The gate's entry points pass their errors through this.
pub fn explain(error: crate::Error, command: &str) -> crate::Error {
    match error {
        crate::Error::Api(mut api) if api.status == 403 && api.hint.is_none() => {
            api.hint = explain_forbidden(command);
            crate::Error::Api(api)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_in_docs_security_md_matches_this_one() {
        let doc = include_str!("../../../docs/security.md");
        for entry in COMMAND_PERMISSIONS {
            let row = format!("| `{}` | {} |", entry.command, entry.needs.join(", "));
            assert!(doc.contains(&row), "docs/security.md lacks the row {row}");
        }
    }

    #[test]
    fn validation_needs_no_deploy_and_a_403_names_the_permissions() {
        let needs = needed_by(
            &VALIDATION_COMMANDS
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
        );
        assert!(needs.contains(&"develop") && needs.contains(&"see_lookml"));
        assert!(!needs.contains(&"deploy"));
        let text = explain_forbidden("deploy").unwrap();
        assert!(text.contains("develop, deploy"), "{text}");
        assert!(explain_forbidden("nope").is_none());
    }
}
