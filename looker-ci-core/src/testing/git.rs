//! Git: the project's commits and branches, and which code each workspace sees. Production is
//! branch `main`; in the dev workspace a user sees the branch they checked out, first their
//! personal `dev-<first>-<last>-xxxx` branch, made from `main` when first needed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::project::FakeProject;
use super::reply::Caller;
use super::reply::FakeReply;

/// The production branch.
pub(crate) const PRODUCTION: &str = "main";

struct Commit {
    project: Arc<FakeProject>,
    /// Epoch seconds.
    at: u64,
}

struct Branch {
    commit: String,
    /// The user a personal branch belongs to: (id, display name).
    owner: Option<(String, String)>,
}

/// The code a request sees.
#[derive(Clone)]
pub(crate) struct Code {
    pub branch: String,
    pub commit: String,
    pub project: Arc<FakeProject>,
}

pub(crate) struct Repo {
    commits: HashMap<String, Commit>,
    branches: BTreeMap<String, Branch>,
    /// User id -> checked-out branch in the dev workspace.
    checkouts: HashMap<String, String>,
    /// User id -> personal branch.
    personal: HashMap<String, String>,
    /// (user id, branch) -> the commit the user's own copy of the branch is at, when it lags
    /// behind the branch (Looker keeps a copy per user and pulls only when asked).
    copies: HashMap<(String, String), String>,
    /// Whether checking out the production branch in the dev workspace gives the user's
    /// personal branch instead, as Looker does.
    pub production_checkout_gives_personal: bool,
    sequence: u64,
}

/// A well-mixed 64-bit value (splitmix64): distinct inputs give distinct outputs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Lowercase letters, digits and dashes.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Git's rules for a branch name, the parts that matter here.
fn valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
}

impl Repo {
    pub fn new(project: FakeProject) -> Repo {
        let mut repo = Repo {
            commits: HashMap::new(),
            branches: BTreeMap::new(),
            checkouts: HashMap::new(),
            personal: HashMap::new(),
            copies: HashMap::new(),
            production_checkout_gives_personal: false,
            sequence: 0,
        };
        let sha = repo.commit(project);
        repo.set_branch(PRODUCTION, &sha);
        repo
    }

    /// Store a commit holding `project`; returns its sha.
    pub fn commit(&mut self, project: FakeProject) -> String {
        self.sequence += 1;
        let s = self.sequence;
        let sha: String = [mix(s), mix(s ^ 0xA5A5), mix(s ^ 0x5A5A)]
            .iter()
            .map(|part| format!("{part:016x}"))
            .collect::<String>()[..40]
            .to_owned();
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.commits.insert(
            sha.clone(),
            Commit {
                project: Arc::new(project),
                at,
            },
        );
        sha
    }

    /// Point branch `name` at `sha`, creating the branch if needed.
    pub fn set_branch(&mut self, name: &str, sha: &str) {
        match self.branches.get_mut(name) {
            Some(branch) => branch.commit = sha.to_owned(),
            None => {
                self.branches.insert(
                    name.to_owned(),
                    Branch {
                        commit: sha.to_owned(),
                        owner: None,
                    },
                );
            }
        }
    }

    /// The commit a ref names: a branch (`x`, `origin/x`, `refs/heads/x`), a full sha, or an
    /// unambiguous prefix of at least 7 characters.
    pub fn resolve(&self, reference: &str) -> Option<String> {
        let reference = reference.trim();
        let branch = reference
            .strip_prefix("origin/")
            .or_else(|| reference.strip_prefix("refs/heads/"))
            .or_else(|| reference.strip_prefix("refs/remotes/origin/"))
            .unwrap_or(reference);
        if let Some(b) = self.branches.get(branch) {
            return Some(b.commit.clone());
        }
        let reference = reference.to_ascii_lowercase();
        if self.commits.contains_key(&reference) {
            return Some(reference);
        }
        if reference.len() < 7 {
            return None;
        }
        let mut matches = self
            .commits
            .keys()
            .filter(|sha| sha.starts_with(&reference));
        match (matches.next(), matches.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }

    /// Make `user_id`'s copy of `branch` lag at `sha` (until the user hard-resets it or the
    /// branch is deleted).
    pub fn set_stale_copy(&mut self, user_id: &str, branch: &str, sha: &str) {
        self.copies
            .insert((user_id.to_owned(), branch.to_owned()), sha.to_owned());
    }

    /// The commit `user_id`'s copy of `name` is at: a lagging copy, else the branch's head.
    fn copy_of(&self, user_id: &str, name: &str) -> String {
        let head = &self.branches[name].commit;
        self.copies
            .get(&(user_id.to_owned(), name.to_owned()))
            .filter(|sha| self.commits.contains_key(*sha))
            .unwrap_or(head)
            .clone()
    }

    pub fn project_at(&self, sha: &str) -> Arc<FakeProject> {
        Arc::clone(&self.commits[sha].project)
    }

    pub fn branch_commit(&self, name: &str) -> Option<&str> {
        self.branches.get(name).map(|b| b.commit.as_str())
    }

    pub fn branch_names(&self) -> Vec<String> {
        self.branches.keys().cloned().collect()
    }

    pub fn production(&self) -> Code {
        let commit = self.branches[PRODUCTION].commit.clone();
        Code {
            branch: PRODUCTION.into(),
            project: self.project_at(&commit),
            commit,
        }
    }

    /// The project id: production's project name.
    pub fn project_id(&self) -> String {
        self.production().project.name.clone()
    }

    /// The user's personal branch, made from production's head when it does not exist yet.
    pub fn ensure_personal(&mut self, caller: &Caller) -> String {
        if let Some(name) = self.personal.get(&caller.user_id)
            && self.branches.contains_key(name)
        {
            return name.clone();
        }
        let suffix: String = (0..4)
            .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
            .collect();
        let name = format!(
            "dev-{}-{}-{suffix}",
            slug(&caller.first_name),
            slug(&caller.last_name)
        );
        let head = self.branches[PRODUCTION].commit.clone();
        self.branches.insert(
            name.clone(),
            Branch {
                commit: head,
                owner: Some((
                    caller.user_id.clone(),
                    format!("{} {}", caller.first_name, caller.last_name),
                )),
            },
        );
        self.personal.insert(caller.user_id.clone(), name.clone());
        name
    }

    /// The branch the user has checked out in the dev workspace (their personal branch until
    /// they check out another, and again if that one was deleted).
    pub fn checked_out(&mut self, caller: &Caller) -> String {
        match self.checkouts.get(&caller.user_id) {
            Some(name) if self.branches.contains_key(name) => name.clone(),
            _ => {
                let name = self.ensure_personal(caller);
                self.checkouts.insert(caller.user_id.clone(), name.clone());
                name
            }
        }
    }

    /// The branch a user has checked out, if they ever entered the dev workspace.
    pub fn checkout_of(&self, user_id: &str) -> Option<String> {
        self.checkouts
            .get(user_id)
            .filter(|name| self.branches.contains_key(*name))
            .cloned()
    }

    /// The code the caller's workspace sees.
    pub fn code_for(&mut self, caller: &Caller) -> Code {
        if !caller.dev {
            return self.production();
        }
        let branch = self.checked_out(caller);
        let commit = self.copy_of(&caller.user_id, &branch);
        Code {
            project: self.project_at(&commit),
            branch,
            commit,
        }
    }

    /// A GitBranch as the caller sees it.
    pub fn branch_json(&self, name: &str, caller: &Caller) -> Value {
        let branch = &self.branches[name];
        let at = self.commits.get(&branch.commit).map_or(0, |c| c.at);
        let owner = branch.owner.as_ref();
        let readonly = name == PRODUCTION || owner.is_some_and(|(id, _)| *id != caller.user_id);
        let copy = self.copy_of(&caller.user_id, name);
        let behind = usize::from(copy != branch.commit);
        json!({
            "name": name,
            "remote": "origin",
            "remote_name": name,
            "error": null,
            "message": null,
            "owner_name": owner.map(|(_, display)| display.clone()),
            "readonly": readonly,
            "personal": owner.is_some(),
            "is_local": true,
            "is_remote": true,
            "is_production": name == PRODUCTION,
            "ahead_count": 0,
            "behind_count": behind,
            "commit_at": at,
            "ref": copy,
            "remote_ref": branch.commit,
            "can": {},
        })
    }

    /// `GET /projects/{p}/git_branch`: production's branch, or the dev checkout.
    pub fn current(&mut self, caller: &Caller) -> FakeReply {
        let name = if caller.dev {
            self.checked_out(caller)
        } else {
            PRODUCTION.to_owned()
        };
        FakeReply::json(200, self.branch_json(&name, caller))
    }

    pub fn all(&mut self, caller: &Caller) -> FakeReply {
        if caller.dev {
            self.checked_out(caller);
        }
        let branches: Vec<Value> = self
            .branches
            .keys()
            .map(|name| self.branch_json(name, caller))
            .collect();
        FakeReply::json(200, Value::Array(branches))
    }

    pub fn find(&self, name: &str, caller: &Caller) -> FakeReply {
        if self.branches.contains_key(name) {
            FakeReply::json(200, self.branch_json(name, caller))
        } else {
            FakeReply::error(404, &format!("Branch '{name}' not found"))
        }
    }

    /// Changing branches needs the `develop` permission and the dev workspace.
    fn require_dev(caller: &Caller) -> Result<(), FakeReply> {
        if !caller.can("develop") {
            return Err(FakeReply::error(
                403,
                &format!(
                    "User {} does not have the \"develop\" permission",
                    caller.user_id
                ),
            ));
        }
        if !caller.dev {
            return Err(FakeReply::error(
                422,
                "Git branches can only be changed in development mode: update the session \
                 to workspace_id \"dev\" first",
            ));
        }
        Ok(())
    }

    fn unresolved(reference: &str) -> FakeReply {
        FakeReply::error(
            422,
            &format!("Ref '{reference}' cannot be resolved to a branch, tag or commit"),
        )
    }

    /// Whether the caller may move `name` (not production, not someone else's personal branch).
    fn writable(&self, name: &str, caller: &Caller) -> Result<(), FakeReply> {
        let foreign = self.branches[name]
            .owner
            .as_ref()
            .is_some_and(|(id, _)| *id != caller.user_id);
        if name == PRODUCTION || foreign {
            return Err(FakeReply::error(
                422,
                &format!("Branch '{name}' is read-only"),
            ));
        }
        Ok(())
    }

    /// `POST /projects/{p}/git_branch` `{name, ref}`: create at `ref` (default: the checked-out
    /// head) and check it out.
    pub fn create(&mut self, caller: &Caller, body: &Value) -> FakeReply {
        if let Err(reply) = Self::require_dev(caller) {
            return reply;
        }
        let Some(name) = body["name"].as_str() else {
            return FakeReply::invalid("name", "is required");
        };
        if !valid_branch_name(name) {
            return FakeReply::invalid("name", &format!("'{name}' is not a valid branch name"));
        }
        if self.branches.contains_key(name) {
            return FakeReply::error(409, &format!("Branch '{name}' already exists"));
        }
        let current = self.checked_out(caller);
        let sha = match body["ref"].as_str() {
            Some(reference) => match self.resolve(reference) {
                Some(sha) => sha,
                None => return Self::unresolved(reference),
            },
            None => self.branches[&current].commit.clone(),
        };
        self.set_branch(name, &sha);
        self.checkouts
            .insert(caller.user_id.clone(), name.to_owned());
        FakeReply::json(200, self.branch_json(name, caller))
    }

    /// `PUT /projects/{p}/git_branch` `{name}` checks out; with `ref` it also hard-resets.
    pub fn update(&mut self, caller: &Caller, body: &Value) -> FakeReply {
        if let Err(reply) = Self::require_dev(caller) {
            return reply;
        }
        let reference = body["ref"].as_str();
        let name = match body["name"].as_str() {
            Some(name) => name.to_owned(),
            None if reference.is_some() => self.checked_out(caller),
            None => return FakeReply::invalid("name", "name or ref is required"),
        };
        if !self.branches.contains_key(&name) {
            return FakeReply::error(404, &format!("Branch '{name}' not found"));
        }
        if let Some(reference) = reference {
            if let Err(reply) = self.writable(&name, caller) {
                return reply;
            }
            match self.resolve(reference) {
                Some(sha) => self.set_branch(&name, &sha),
                None => return Self::unresolved(reference),
            }
            self.copies.remove(&(caller.user_id.clone(), name.clone()));
        }
        let name =
            if name == PRODUCTION && reference.is_none() && self.production_checkout_gives_personal
            {
                self.ensure_personal(caller)
            } else {
                name
            };
        self.checkouts.insert(caller.user_id.clone(), name.clone());
        FakeReply::json(200, self.branch_json(&name, caller))
    }

    /// `DELETE /projects/{p}/git_branch/{name}`.
    pub fn delete(&mut self, caller: &Caller, name: &str) -> FakeReply {
        if let Err(reply) = Self::require_dev(caller) {
            return reply;
        }
        if name == PRODUCTION {
            return FakeReply::error(422, "The production branch cannot be deleted");
        }
        let Some(branch) = self.branches.get(name) else {
            return FakeReply::error(404, &format!("Branch '{name}' not found"));
        };
        if branch.owner.is_some() {
            return FakeReply::error(
                422,
                &format!("Branch '{name}' is a personal branch and cannot be deleted"),
            );
        }
        if self.checked_out(caller) == name {
            return FakeReply::error(
                422,
                &format!("Branch '{name}' is checked out: check out another branch first"),
            );
        }
        self.branches.remove(name);
        self.copies.retain(|(_, branch), _| branch != name);
        FakeReply::empty(204)
    }
}
