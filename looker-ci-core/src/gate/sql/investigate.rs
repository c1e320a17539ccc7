//! Finding every failing field of an explore with as few warehouse queries as possible.
//!
//! One query runs all the explore's fields. When it fails, the database's message is read first:
//! a message that names a column points at the fields whose SQL uses it (the rest is run once:
//! when it passes, a single named field is proved; several are confirmed with a query each); a
//! message that names a joined table points at that join.
//! Otherwise the fields are split (by view first: a bad join fails exactly its view's fields,
//! then in halves) and each failing part is searched the same way. A part whose single probe
//! field fails with the part's message is reported once, as a broken join or a wholly broken
//! explore, not as one finding per field. A set that fails while every part of it passes is an
//! interaction (a column that becomes ambiguous once a join is in the query): it is shrunk to
//! the smallest set that still fails and reported at explore level, never dropped.
//!
//! Each round of the search costs a query creation, a task, the warehouse and a poll, so where
//! the next round's queries are all but certain to be needed they run in the current one: for a
//! message that names nothing, the base-table probe and (when there are at most three joins)
//! each joined view's probe beside the split by view; for an ambiguous column, its trials with
//! one field of each view its query does not join yet, beside its own query. A set of fields
//! already answered, or still running, is not run again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::join_all;
use tokio::sync::OnceCell;

use super::message::{joined_tables, named_identifiers, normalized, sql_mentions};
use super::runner::{QueryFailure, QueryOutcome, QueryRunner, Unfinished};
use super::{ExploreInfo, FieldInfo};
use crate::error::Result;
use crate::gate::result::{Finding, FindingScope, Severity};

/// How a timed-out query's finding begins (the explore's status reads it).
pub(crate) const TIMED_OUT: &str = "the query did not finish within";
/// The start of the message of fields whose query ended without a result.
pub(crate) const NOT_CHECKED: &str = "the query ended in Looker as";

/// The most joined views (of more than one field) the first split of a failure whose message
/// names nothing may have for each to be probed beside it: each probe is a query spent on the
/// chance that its join is the broken one, to save a round; a split with more joins is searched
/// without them, since there the round is cheaper than the queries.
const JOIN_PROBES_BESIDE_SPLIT: usize = 3;

type Found<'a> = Pin<Box<dyn Future<Output = Result<Vec<Finding>>> + Send + 'a>>;

/// Groups of fields each tried with the named ones, and how each trial ended.
type Trials<'a> = (Vec<Vec<&'a FieldInfo>>, Vec<Result<Verdict>>);

/// The result of one query, as the search sees it.
#[derive(Clone)]
enum Verdict {
    Pass,
    Fail(QueryFailure),
    Unfinished(Unfinished),
}

pub(crate) struct ExploreCheck<'a> {
    pub runner: &'a QueryRunner,
    pub explore: &'a ExploreInfo,
    pub queries: AtomicU64,
    /// Microseconds the queries were in Looker, summed.
    pub query_micros: AtomicU64,
    /// Incremental mode: the target's runner and the explore's fields there.
    pub baseline: Option<(&'a QueryRunner, std::collections::HashSet<String>)>,
    /// Failures found on the target too, left unsearched.
    pub existing: AtomicU64,
    /// Messages asked about on the target, and the answers.
    on_target: std::sync::Mutex<std::collections::HashMap<String, bool>>,
    /// Every set of fields queried (names sorted), and its answer once there is one: a set the
    /// search reaches twice, or a probe already run beside an earlier round, costs no second
    /// query, and a caller asking while it runs waits for it. A query that ended in an error
    /// keeps no answer and runs again when asked again; a time-out is an answer.
    answered: std::sync::Mutex<std::collections::HashMap<Vec<String>, Arc<OnceCell<Verdict>>>>,
}

/// `set` without the fields of `out`, in `set`'s order.
fn without<'a>(set: &[&'a FieldInfo], out: &[&FieldInfo]) -> Vec<&'a FieldInfo> {
    set.iter()
        .copied()
        .filter(|f| !out.iter().any(|o| o.name == f.name))
        .collect()
}

fn same(a: &QueryFailure, b: &QueryFailure) -> bool {
    normalized(&a.message) == normalized(&b.message)
}

/// The first group whose trial failed with `failure`'s message.
fn first_failing_the_same<'a>(
    groups: Vec<Vec<&'a FieldInfo>>,
    verdicts: Vec<Result<Verdict>>,
    failure: &QueryFailure,
) -> Result<Option<Vec<&'a FieldInfo>>> {
    for (group, verdict) in groups.into_iter().zip(verdicts) {
        if let Verdict::Fail(f) = verdict?
            && same(&f, failure)
        {
            return Ok(Some(group));
        }
    }
    Ok(None)
}

/// `set`'s fields grouped by view, views in name order.
fn view_groups<'a>(set: &[&'a FieldInfo]) -> Vec<Vec<&'a FieldInfo>> {
    let mut views: Vec<&str> = set.iter().map(|f| f.view.as_str()).collect();
    views.sort_unstable();
    views.dedup();
    views
        .iter()
        .map(|v| set.iter().copied().filter(|f| f.view == *v).collect())
        .collect()
}

/// The field that stands for `fields` (one view's) in a probe: the primary key, else a
/// dimension, else any. Any field of a view brings in its join.
fn probe_field<'a>(fields: &[&'a FieldInfo]) -> Option<&'a FieldInfo> {
    let dimensions = || fields.iter().filter(|f| !f.is_measure);
    dimensions()
        .find(|f| f.primary_key)
        .or_else(|| dimensions().next())
        .or_else(|| fields.first())
        .copied()
}

/// The probes of a split by view's joined views, when it has at most
/// [`JOIN_PROBES_BESIDE_SPLIT`] of more than one field (a view of one field is its own probe):
/// run beside the split, a broken join's probe has answered before its part is searched (see
/// `part_failed`).
fn join_probes<'a>(parts: &[Vec<&'a FieldInfo>], base_view: &str) -> Vec<&'a FieldInfo> {
    let joined: Vec<&Vec<&FieldInfo>> = parts
        .iter()
        .filter(|p| p.len() > 1 && p[0].view != base_view)
        .collect();
    if joined.len() > JOIN_PROBES_BESIDE_SPLIT {
        return Vec::new();
    }
    joined.iter().filter_map(|p| probe_field(p)).collect()
}

/// How a failing set is split: by view when it spans several (a bad join fails exactly its
/// view's fields), else in halves. Returns the parts and whether they are views.
fn split_parts<'a>(set: &[&'a FieldInfo]) -> (Vec<Vec<&'a FieldInfo>>, bool) {
    let groups = view_groups(set);
    if groups.len() > 1 {
        (groups, true)
    } else {
        let (a, b) = set.split_at(set.len() / 2);
        (vec![a.to_vec(), b.to_vec()], false)
    }
}

impl<'a> ExploreCheck<'a> {
    pub fn new(runner: &'a QueryRunner, explore: &'a ExploreInfo) -> Self {
        ExploreCheck {
            runner,
            explore,
            queries: AtomicU64::new(0),
            query_micros: AtomicU64::new(0),
            baseline: None,
            existing: AtomicU64::new(0),
            on_target: Default::default(),
            answered: Default::default(),
        }
    }

    /// Check `fields` (one chunk of the explore). With `fail_fast`, a failing chunk is one
    /// explore-level finding and is not searched further.
    pub async fn check(&self, fields: Vec<&'a FieldInfo>, fail_fast: bool) -> Result<Vec<Finding>> {
        match self.query(&fields).await? {
            Verdict::Pass => Ok(Vec::new()),
            Verdict::Unfinished(why) => Ok(vec![self.unfinished(&fields, &why)]),
            Verdict::Fail(failure) if fail_fast => {
                let mut finding = self.finding(FindingScope::Explore, &failure);
                finding.message = failure.message.clone();
                Ok(vec![finding])
            }
            Verdict::Fail(failure) => self.top_level(fields, failure).await,
        }
    }

    /// Incremental mode: whether the target fails the same fields with the same message. Asked
    /// once per message: the answer holds for every set of the explore that fails with it.
    async fn exists_on_target(
        &self,
        fields: &[&FieldInfo],
        failure: &QueryFailure,
    ) -> Result<bool> {
        let Some((target, known)) = &self.baseline else {
            return Ok(false);
        };
        let key = normalized(&failure.message);
        let asked = self
            .on_target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied();
        if let Some(answer) = asked {
            return Ok(answer);
        }
        let there: Vec<String> = fields
            .iter()
            .filter(|f| known.contains(&f.name))
            .map(|f| f.name.clone())
            .collect();
        if there.is_empty() {
            return Ok(false);
        }
        self.queries.fetch_add(1, Ordering::Relaxed);
        let answer = match target
            .run(&self.explore.model, &self.explore.name, &there)
            .await?
        {
            QueryOutcome::Failed(f) => same(&f, failure),
            _ => false,
        };
        self.on_target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, answer);
        Ok(answer)
    }

    /// The failure exists on the target: it is not searched. The fields its message names are
    /// set aside and the rest run once, so a new error behind the old one is still found.
    async fn beyond_existing(
        &self,
        set: Vec<&'a FieldInfo>,
        failure: QueryFailure,
    ) -> Result<Vec<Finding>> {
        self.existing.fetch_add(1, Ordering::Relaxed);
        let named = self.named_fields(&failure, &set);
        let rest = without(&set, &named);
        if named.is_empty() || rest.is_empty() {
            return Ok(Vec::new());
        }
        let verdict = self.query(&rest).await?;
        self.follow(rest, verdict).await
    }

    async fn query(&self, fields: &[&FieldInfo]) -> Result<Verdict> {
        let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        let mut key = names.clone();
        key.sort_unstable();
        let answer = Arc::clone(
            self.answered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(key)
                .or_default(),
        );
        let verdict = answer
            .get_or_try_init(|| async {
                self.queries.fetch_add(1, Ordering::Relaxed);
                let (outcome, took, tasks) = self
                    .runner
                    .run_timed(&self.explore.model, &self.explore.name, &names)
                    .await?;
                // A query Looker lost the result of ran twice.
                self.queries.fetch_add(tasks - 1, Ordering::Relaxed);
                let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                self.query_micros.fetch_add(micros, Ordering::Relaxed);
                Ok::<_, crate::Error>(match outcome {
                    QueryOutcome::Passed => Verdict::Pass,
                    QueryOutcome::Failed(failure) => Verdict::Fail(failure),
                    QueryOutcome::Unfinished(why) => Verdict::Unfinished(why),
                })
            })
            .await?;
        Ok(verdict.clone())
    }

    /// The first failure of a chunk: a wholly broken explore (its base table) costs one more
    /// query and gives one finding.
    async fn top_level(
        &self,
        set: Vec<&'a FieldInfo>,
        failure: QueryFailure,
    ) -> Result<Vec<Finding>> {
        // A message that names a field or a join points elsewhere than the base table. (A chunk
        // of one field is still probed: in a wide explore, a broken base table fails it too.)
        if self.explore.fields.len() < 2
            || !self.named_fields(&failure, &set).is_empty()
            || named_join(self.explore, &failure).is_some()
        {
            return self.investigate(set, failure).await;
        }
        let Some(probe) = self.base_probe() else {
            return self.investigate(set, failure).await;
        };
        // A message naming something no field or join uses (a missing relation) is most likely
        // about the base table: probe it first. A message naming nothing (a syntax error) is as
        // likely a join's: the probe and the first split run side by side, one round of
        // create/run/poll less, at the cost of the split's queries when the base table is
        // broken after all. Never when a target is compared: its answer may end the search.
        if set.len() < 2
            || self.baseline.is_some()
            || !named_identifiers(&failure.message).is_empty()
        {
            if let Verdict::Fail(probe_failure) = self.query(&[probe]).await?
                && same(&probe_failure, &failure)
            {
                return Ok(vec![self.base_finding(&failure)]);
            }
            return self.investigate(set, failure).await;
        }
        let (parts, by_view) = split_parts(&set);
        let join_probes = if by_view {
            join_probes(&parts, &self.explore.base_view)
        } else {
            Vec::new()
        };
        let probe = [probe];
        // The probes' answers are kept by `query` for `part_failed`. An error is not kept: the
        // probe runs again if it is needed after all, so it ends nothing here.
        let (probe_verdict, verdicts, _join_verdicts) = futures::join!(
            self.query(&probe),
            join_all(parts.iter().map(|p| self.query(p))),
            join_all(
                join_probes
                    .iter()
                    .map(|f| self.query(std::slice::from_ref(f)))
            )
        );
        if let Verdict::Fail(probe_failure) = probe_verdict?
            && same(&probe_failure, &failure)
        {
            return Ok(vec![self.base_finding(&failure)]);
        }
        self.split_known(set, failure, parts, by_view, verdicts)
            .await
    }

    /// The explore's base table is broken: one finding for the explore.
    fn base_finding(&self, failure: &QueryFailure) -> Finding {
        let mut finding = self.finding(FindingScope::Explore, failure);
        finding.view = Some(self.explore.base_view.clone());
        finding
    }

    /// A field of the explore's base view (its primary key if it has one).
    fn base_probe(&self) -> Option<&'a FieldInfo> {
        let base = &self.explore.base_view;
        let fields: Vec<&FieldInfo> = self
            .explore
            .fields
            .iter()
            .filter(|f| &f.view == base)
            .collect();
        probe_field(&fields)
    }

    /// Fields of `set` whose SQL (or name) mentions an identifier the message names.
    fn named_fields(&self, failure: &QueryFailure, set: &[&'a FieldInfo]) -> Vec<&'a FieldInfo> {
        let identifiers = named_identifiers(&failure.message);
        set.iter()
            .copied()
            .filter(|f| {
                identifiers
                    .iter()
                    .any(|id| f.name.eq_ignore_ascii_case(id) || sql_mentions(&f.sql, &f.view, id))
            })
            .collect()
    }

    fn investigate(&self, set: Vec<&'a FieldInfo>, failure: QueryFailure) -> Found<'_> {
        Box::pin(async move {
            if self.exists_on_target(&set, &failure).await? {
                return self.beyond_existing(set, failure).await;
            }
            if set.len() == 1 {
                return Ok(vec![self.field_finding(set[0], &failure)]);
            }
            let named = self.named_fields(&failure, &set);
            if named.is_empty() {
                if let Some(view) = named_join(self.explore, &failure) {
                    let group: Vec<&FieldInfo> =
                        set.iter().copied().filter(|f| f.view == view).collect();
                    if !group.is_empty() {
                        return self.view_group(set, group, failure).await;
                    }
                }
            } else if named.len() < set.len() {
                return self.confirm_named(set, named, failure).await;
            }
            self.split(set, failure).await
        })
    }

    /// The message named a join: one probe of the view proves it; the rest is searched apart.
    async fn view_group(
        &self,
        set: Vec<&'a FieldInfo>,
        group: Vec<&'a FieldInfo>,
        failure: QueryFailure,
    ) -> Result<Vec<Finding>> {
        let rest = without(&set, &group);
        let (probe, rest_verdict) = futures::join!(self.query(&group[..1]), async {
            if rest.is_empty() {
                Ok(Verdict::Pass)
            } else {
                self.query(&rest).await
            }
        });
        let mut findings = match probe? {
            Verdict::Fail(probe_failure) if same(&probe_failure, &failure) => {
                vec![self.join_finding(&group, &failure)]
            }
            // The guess was wrong: search the view's fields like any other set.
            Verdict::Fail(other) => self.investigate(group, other).await?,
            Verdict::Pass => self.split(group, failure).await?,
            Verdict::Unfinished(why) => vec![self.unfinished(&group, &why)],
        };
        findings.extend(self.follow(rest, rest_verdict?).await?);
        Ok(findings)
    }

    /// The message named columns: confirm each named field alone and run the rest once.
    async fn confirm_named(
        &self,
        set: Vec<&'a FieldInfo>,
        named: Vec<&'a FieldInfo>,
        failure: QueryFailure,
    ) -> Result<Vec<Finding>> {
        let rest = without(&set, &named);
        // One named field, and a message that is not about ambiguity (which needs two views):
        // when the rest passes, the set failed with the field and passes without it, which
        // proves the field: it needs no query of its own.
        if let [field] = named[..]
            && !failure.message.to_ascii_lowercase().contains("ambiguous")
        {
            let rest_verdict = self.query(&rest).await?;
            if matches!(rest_verdict, Verdict::Pass) {
                return Ok(vec![self.field_finding(field, &failure)]);
            }
            let alone = [field];
            let (single, rest_findings) =
                futures::join!(self.query(&alone), self.follow(rest, rest_verdict));
            let mut findings = match single? {
                Verdict::Fail(f) => vec![self.field_finding(field, &f)],
                Verdict::Unfinished(why) => vec![self.unfinished(&[field], &why)],
                Verdict::Pass => Vec::new(),
            };
            findings.extend(rest_findings?);
            return Ok(findings);
        }
        let singles = join_all(named.iter().map(|f| self.query(std::slice::from_ref(f))));
        // An ambiguous column is almost always an interaction (the field passes alone): its
        // first trials run in the same round, the named column with one field of each view that
        // its own query does not join already (any field of a view brings in its join). One that
        // fails the same way is already a smallest failing set.
        let speculate = self.baseline.is_none()
            && named.len() == 1
            && failure.message.to_ascii_lowercase().contains("ambiguous");
        let groups: Vec<Vec<&FieldInfo>> = if speculate {
            view_groups(&rest)
                .iter()
                .filter(|g| !self.joined_anyway(&named, &g[0].view))
                .filter_map(|g| probe_field(g))
                .map(|f| vec![f])
                .collect()
        } else {
            Vec::new()
        };
        let (singles, rest_verdict, trial_verdicts) =
            futures::join!(singles, self.query(&rest), self.with_each(&named, &groups));
        let mut findings = Vec::new();
        let mut confirmed = 0;
        for (field, verdict) in named.iter().zip(singles) {
            match verdict? {
                Verdict::Fail(f) => {
                    confirmed += 1;
                    findings.push(self.field_finding(field, &f));
                }
                Verdict::Unfinished(why) => findings.push(self.unfinished(&[*field], &why)),
                Verdict::Pass => {}
            }
        }
        let rest_verdict = rest_verdict?;
        let rest_passed = matches!(rest_verdict, Verdict::Pass);
        let rest_findings = self.follow(rest, rest_verdict).await?;
        // Fields the rest's search found broken.
        let broken: std::collections::HashSet<String> = rest_findings
            .iter()
            .flat_map(|f| f.field.iter().chain(&f.fields))
            .cloned()
            .collect();
        findings.extend(rest_findings);
        if confirmed == 0 && (rest_passed || !broken.is_empty()) {
            // The named fields pass alone, so their error needs other fields. When the rest has
            // errors of its own, the smallest set is looked for among the fields found sound,
            // and the trials that involved a broken field do not count.
            let sound = |g: &[&FieldInfo]| !g.iter().any(|f| broken.contains(&f.name));
            let tried = speculate.then(|| {
                groups
                    .into_iter()
                    .zip(trial_verdicts)
                    .filter(|(g, _)| sound(g))
                    .unzip()
            });
            let candidates: Vec<&FieldInfo> = set.iter().copied().filter(|f| sound(&[f])).collect();
            if let Some(minimal) = self
                .interaction(candidates, named, &failure, tried, rest_passed)
                .await?
            {
                findings.push(self.interaction_finding(&minimal, &failure));
            }
        }
        Ok(findings)
    }

    /// Every named field passes alone: the error needs fields together (typically a named
    /// column and any field of another view, whose join makes it ambiguous). Try the named
    /// fields as a group, then with each view's fields of `set`, before a blind search of `set`.
    /// `tried`: the trials with one field of each view, already run beside the named fields'
    /// own queries; the whole views are tried only when none of those failed the same way.
    /// `known_to_fail`: whether `set` is known to fail with `failure`; when it is not and no
    /// trial fails, `set` is run once, and `None` means it passes.
    async fn interaction(
        &self,
        set: Vec<&'a FieldInfo>,
        named: Vec<&'a FieldInfo>,
        failure: &QueryFailure,
        tried: Option<Trials<'a>>,
        known_to_fail: bool,
    ) -> Result<Option<Vec<&'a FieldInfo>>> {
        let speculated = tried.is_some();
        if let Some((groups, verdicts)) = tried {
            if let Some(group) = first_failing_the_same(groups, verdicts, failure)? {
                return self.minimize_with(&named, group, failure).await.map(Some);
            }
        } else if named.len() >= 2
            && let Verdict::Fail(f) = self.query(&named).await?
            && same(&f, failure)
        {
            return self.minimize(named, failure).await.map(Some);
        }
        // A view of one field was tried whole already, unless the named fields' own query joins
        // it anyway (then only a whole view of it may still make a difference).
        let groups: Vec<Vec<&FieldInfo>> = view_groups(&without(&set, &named))
            .into_iter()
            .filter(|g| !speculated || g.len() > 1 || self.joined_anyway(&named, &g[0].view))
            .collect();
        let verdicts = self.with_each(&named, &groups).await;
        if let Some(group) = first_failing_the_same(groups, verdicts, failure)? {
            return self.minimize_with(&named, group, failure).await.map(Some);
        }
        if !known_to_fail
            && !matches!(self.query(&set).await?, Verdict::Fail(f) if same(&f, failure))
        {
            return Ok(None);
        }
        self.minimize(set, failure).await.map(Some)
    }

    /// Whether a query of `named` already has `view` in it (the base view always is).
    fn joined_anyway(&self, named: &[&FieldInfo], view: &str) -> bool {
        view == self.explore.base_view || named.iter().any(|f| f.view == view)
    }

    /// Run `named` together with each of `groups`, all at once.
    async fn with_each(
        &self,
        named: &[&'a FieldInfo],
        groups: &[Vec<&'a FieldInfo>],
    ) -> Vec<Result<Verdict>> {
        let trials: Vec<Vec<&FieldInfo>> = groups
            .iter()
            .map(|g| named.iter().chain(g.iter()).copied().collect())
            .collect();
        join_all(trials.iter().map(|t| self.query(t))).await
    }

    /// Search a set whose verdict is known.
    async fn follow(&self, set: Vec<&'a FieldInfo>, verdict: Verdict) -> Result<Vec<Finding>> {
        match verdict {
            Verdict::Pass => Ok(Vec::new()),
            Verdict::Unfinished(why) => Ok(vec![self.unfinished(&set, &why)]),
            Verdict::Fail(f) => self.investigate(set, f).await,
        }
    }

    /// Split by view when the set spans several (a bad join fails exactly its view's fields),
    /// else in halves; search each failing part.
    async fn split(&self, set: Vec<&'a FieldInfo>, failure: QueryFailure) -> Result<Vec<Finding>> {
        let (parts, by_view) = split_parts(&set);
        let verdicts = join_all(parts.iter().map(|p| self.query(p))).await;
        self.split_known(set, failure, parts, by_view, verdicts)
            .await
    }

    /// [`Self::split`] once the parts' queries have answered.
    async fn split_known(
        &self,
        set: Vec<&'a FieldInfo>,
        failure: QueryFailure,
        parts: Vec<Vec<&'a FieldInfo>>,
        by_view: bool,
        verdicts: Vec<Result<Verdict>>,
    ) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        let mut all_passed = true;
        for (part, verdict) in parts.into_iter().zip(verdicts) {
            match verdict? {
                Verdict::Pass => {}
                Verdict::Unfinished(why) => {
                    all_passed = false;
                    findings.push(self.unfinished(&part, &why));
                }
                Verdict::Fail(f) => {
                    all_passed = false;
                    findings.extend(self.part_failed(part, f, by_view).await?);
                }
            }
        }
        if all_passed {
            let minimal = self.minimize(set, &failure).await?;
            findings.push(self.interaction_finding(&minimal, &failure));
        }
        Ok(findings)
    }

    /// A failing view group whose message names none of its fields: when one field of the view
    /// fails the same way, the whole view (a join or the base table) is broken.
    async fn part_failed(
        &self,
        part: Vec<&'a FieldInfo>,
        failure: QueryFailure,
        by_view: bool,
    ) -> Result<Vec<Finding>> {
        if by_view
            && part.len() > 1
            && self.named_fields(&failure, &part).is_empty()
            && let Some(probe) = probe_field(&part)
            && let Verdict::Fail(f) = self.query(&[probe]).await?
            && same(&f, &failure)
        {
            return Ok(vec![if part[0].view == self.explore.base_view {
                self.base_finding(&failure)
            } else {
                self.join_finding(&part, &failure)
            }]);
        }
        self.investigate(part, failure).await
    }

    /// Shrink a failing set to a smallest one that still fails with the same message: drop
    /// chunks while it keeps failing, halving the chunk size down to single fields.
    async fn minimize(
        &self,
        set: Vec<&'a FieldInfo>,
        failure: &QueryFailure,
    ) -> Result<Vec<&'a FieldInfo>> {
        self.minimize_with(&[], set, failure).await
    }

    /// [`Self::minimize`] of `set`, every trial including `pinned`; returns `pinned` and what
    /// remains of `set`.
    async fn minimize_with(
        &self,
        pinned: &[&'a FieldInfo],
        set: Vec<&'a FieldInfo>,
        failure: &QueryFailure,
    ) -> Result<Vec<&'a FieldInfo>> {
        let mut current = set;
        let mut pieces = 2usize;
        while current.len() >= 2 {
            let size = current.len().div_ceil(pieces);
            let complements: Vec<Vec<&FieldInfo>> = (0..current.len())
                .step_by(size)
                .map(|start| {
                    current
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i < start || *i >= start + size)
                        .map(|(_, f)| *f)
                        .collect()
                })
                .filter(|c: &Vec<&FieldInfo>| !c.is_empty())
                .map(|c| pinned.iter().copied().chain(c).collect::<Vec<_>>())
                .collect();
            let verdicts = join_all(complements.iter().map(|c| self.query(c))).await;
            let mut reduced = None;
            for (complement, verdict) in complements.into_iter().zip(verdicts) {
                if let Verdict::Fail(f) = verdict?
                    && same(&f, failure)
                    && reduced.is_none()
                {
                    reduced = Some(complement[pinned.len()..].to_vec());
                }
            }
            match reduced {
                Some(smaller) => {
                    current = smaller;
                    pieces = (pieces - 1).max(2);
                }
                None if size <= 1 => break,
                None => pieces = (pieces * 2).min(current.len()),
            }
        }
        Ok(pinned.iter().copied().chain(current).collect())
    }

    fn finding(&self, scope: FindingScope, failure: &QueryFailure) -> Finding {
        let mut finding = Finding::new(Severity::Error, scope, failure.message.clone());
        finding.model = Some(self.explore.model.clone());
        finding.explore = Some(self.explore.name.clone());
        finding.sql = failure.sql.clone();
        finding.url = self.explore.url.clone();
        finding
    }

    fn field_finding(&self, field: &FieldInfo, failure: &QueryFailure) -> Finding {
        let mut finding = self.finding(FindingScope::Field, failure);
        finding.field = Some(field.name.clone());
        finding.file = field.file.clone();
        finding.line = field.line;
        if field.url.is_some() {
            finding.url = field.url.clone();
        }
        finding
    }

    fn join_finding(&self, group: &[&FieldInfo], failure: &QueryFailure) -> Finding {
        let mut finding = self.finding(FindingScope::Join, failure);
        finding.view = group.first().map(|f| f.view.clone());
        finding.fields = group.iter().map(|f| f.name.clone()).collect();
        if let Some(join) = self
            .explore
            .joins
            .iter()
            .find(|j| Some(&j.name) == finding.view.as_ref())
        {
            finding.file = join.file.clone();
            finding.line = join.line;
        }
        finding
    }

    fn interaction_finding(&self, minimal: &[&FieldInfo], failure: &QueryFailure) -> Finding {
        let mut finding = self.finding(FindingScope::Explore, failure);
        finding.fields = minimal.iter().map(|f| f.name.clone()).collect();
        finding.message = format!(
            "{} (fails only when these fields are queried together: {})",
            failure.message,
            finding.fields.join(", ")
        );
        finding
    }

    /// The finding for `fields` whose query gave no answer.
    fn unfinished(&self, fields: &[&FieldInfo], why: &Unfinished) -> Finding {
        let message = match why {
            Unfinished::TimedOut(after) => format!(
                "{TIMED_OUT} {}s and was cancelled in Looker; raise --query-timeout or look for a \
                 slow join or field",
                after.as_secs_f64()
            ),
            Unfinished::Ended(status) => format!(
                "{NOT_CHECKED} `{status}` without a result (killed by an admin, \
                 the database or a Looker limit, or its result lost), so these fields are \
                 unchecked; run the job again"
            ),
        };
        let mut finding = Finding::new(Severity::Error, FindingScope::Explore, message);
        finding.model = Some(self.explore.model.clone());
        finding.explore = Some(self.explore.name.clone());
        match fields {
            [one] => {
                finding.scope = FindingScope::Field;
                finding.field = Some(one.name.clone());
            }
            many if many.len() < self.explore.fields.len() => {
                finding.fields = many.iter().map(|f| f.name.clone()).collect();
            }
            _ => {}
        }
        finding
    }
}

/// A joined view the message names (by its alias or its table: the join's own, or the one
/// the failing query's SQL joins it as).
fn named_join(explore: &ExploreInfo, failure: &QueryFailure) -> Option<String> {
    let identifiers = named_identifiers(&failure.message);
    let joined = failure
        .sql
        .as_deref()
        .map(joined_tables)
        .unwrap_or_default();
    // The same table when one name ends the other at a dot (`db.schema.t` and `schema.t`).
    let same_table = |id: &str, table: &str| {
        let (id, table) = (id.to_ascii_lowercase(), table.to_ascii_lowercase());
        let ends = |long: &str, short: &str| long == short || long.ends_with(&format!(".{short}"));
        ends(&id, &table) || ends(&table, &id)
    };
    explore
        .joins
        .iter()
        .find(|join| {
            identifiers.iter().any(|id| {
                id.eq_ignore_ascii_case(&join.name)
                    || join
                        .sql_table_name
                        .as_deref()
                        .is_some_and(|t| id.eq_ignore_ascii_case(t.trim()))
                    || joined.iter().any(|(table, alias)| {
                        alias.eq_ignore_ascii_case(&join.name) && same_table(id, table)
                    })
                    || join
                        .sql_on
                        .as_deref()
                        .is_some_and(|on| sql_mentions(on, &join.name, id))
            })
        })
        .map(|join| join.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(view: &str, name: &str, measure: bool, primary_key: bool) -> FieldInfo {
        FieldInfo {
            name: format!("{view}.{name}"),
            view: view.into(),
            sql: format!("${{TABLE}}.{name}"),
            is_measure: measure,
            primary_key,
            file: None,
            line: None,
            url: None,
        }
    }

    #[test]
    fn a_join_is_named_by_the_table_the_failing_sql_joins_it_as() {
        let join = |name: &str| super::super::JoinInfo {
            name: name.into(),
            sql_table_name: None,
            sql_on: Some(format!("${{orders.{name}_id}} = ${{{name}.id}}")),
            file: None,
            line: None,
        };
        let explore = ExploreInfo {
            model: "m".into(),
            name: "orders".into(),
            base_view: "orders".into(),
            joins: vec![join("users"), join("accounts")],
            fields: Vec::new(),
            url: None,
        };
        let failure = |message: &str| QueryFailure {
            message: message.into(),
            sql: Some(
                "SELECT 1 FROM s.orders AS orders LEFT JOIN s.users ON 1=1 LEFT JOIN s.acct AS \
                 accounts ON 1=1"
                    .into(),
            ),
        };
        let named = |message: &str| named_join(&explore, &failure(message));
        assert_eq!(
            named(r#"relation "s.acct" does not exist"#).as_deref(),
            Some("accounts")
        );
        assert_eq!(
            named(r#"relation "acct" does not exist"#).as_deref(),
            Some("accounts")
        );
        assert_eq!(
            named(r#"relation "s.users" does not exist"#).as_deref(),
            Some("users")
        );
        assert_eq!(named(r#"relation "s.orders" does not exist"#), None);
        assert_eq!(
            named(r#"relation "db.s.acct" does not exist"#).as_deref(),
            Some("accounts")
        );
        assert_eq!(named(r#"relation "xacct" does not exist"#), None);
    }

    #[test]
    fn a_probe_is_the_primary_key_else_a_dimension_else_any_field() {
        let count = field("users", "count", true, false);
        let name = field("users", "name", false, false);
        let id = field("users", "id", false, true);
        let probe = |fields: &[&FieldInfo]| probe_field(fields).map(|f| f.name.clone());
        assert_eq!(probe(&[&count, &name, &id]).as_deref(), Some("users.id"));
        assert_eq!(probe(&[&count, &name]).as_deref(), Some("users.name"));
        assert_eq!(probe(&[&count]).as_deref(), Some("users.count"));
        assert_eq!(probe(&[]), None);
    }

    #[test]
    fn joined_views_are_probed_beside_the_split_only_when_there_are_few() {
        let fields: Vec<FieldInfo> = ["orders", "a", "b", "c", "d"]
            .iter()
            .flat_map(|view| {
                [
                    field(view, "id", false, true),
                    field(view, "name", false, false),
                ]
            })
            .chain([field("e", "only", false, false)])
            .collect();
        let all: Vec<&FieldInfo> = fields.iter().collect();
        let parts = |views: &[&str]| -> Vec<Vec<&FieldInfo>> {
            view_groups(&all)
                .into_iter()
                .filter(|g| views.contains(&g[0].view.as_str()))
                .collect()
        };
        let probed = |views: &[&str]| -> Vec<String> {
            join_probes(&parts(views), "orders")
                .iter()
                .map(|f| f.name.clone())
                .collect()
        };
        // The base view has its own probe; a view of one field needs none.
        assert_eq!(probed(&["orders", "a", "e"]), ["a.id"]);
        assert_eq!(probed(&["orders", "a", "b", "c"]), ["a.id", "b.id", "c.id"]);
        // Four joined views: the split runs without them.
        assert!(probed(&["orders", "a", "b", "c", "d"]).is_empty());
    }
}
