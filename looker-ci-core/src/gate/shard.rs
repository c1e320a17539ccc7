//! Splitting explores across CI parallel jobs: deterministic (every job computes the same split
//! from the same list) and balanced by estimated cost (longest first onto the least-loaded
//! shard), so the slowest shard is close to 1/N of the work. Each shard's result carries a
//! digest of what its split was made from, so `merge` can refuse parts that do not make a whole.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::gate::result::{Shard, ValidationResult, ValidatorKind, stable_id};

/// The items of `shard` (all of them when `None`), and the split's digest (`None` unsharded).
/// `key` names an item; `cost` estimates its work.
pub(crate) fn split<T>(
    items: Vec<T>,
    shard: Option<Shard>,
    key: impl Fn(&T) -> String,
    cost: impl Fn(&T) -> u64,
) -> (Vec<T>, Option<String>) {
    let Some(shard) = shard else {
        return (items, None);
    };
    let digest = digest(&items, &key, &cost);
    let total = shard.total.max(1) as usize;
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Ties keep the list order, so the split depends on the list alone.
    order.sort_by(|a, b| cost(&items[*b]).cmp(&cost(&items[*a])).then(a.cmp(b)));
    let mut load = vec![0u64; total];
    let mut owner = vec![0usize; items.len()];
    for index in order {
        let lightest = (0..total).min_by_key(|s| (load[*s], *s)).unwrap_or(0);
        load[lightest] = load[lightest].saturating_add(cost(&items[index]));
        owner[index] = lightest;
    }
    let wanted = shard.index as usize - 1;
    let mine = items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| owner[*i] == wanted)
        .map(|(_, item)| item)
        .collect();
    (mine, Some(digest))
}

/// What a split is made from (every item's key and cost, in list order), as a stable id: jobs
/// on other code, or with another timings file, split differently and get another one.
fn digest<T>(items: &[T], key: impl Fn(&T) -> String, cost: impl Fn(&T) -> u64) -> String {
    let listed: String = items
        .iter()
        .map(|item| format!("{}\u{1f}{}\n", key(item), cost(item)))
        .collect();
    stable_id(&listed)
}

/// Explores' estimated costs from an earlier SQL run's result document: each explore's query
/// time there (`query_seconds`; `seconds` in documents older than it), in milliseconds; an
/// explore it does not list, or skipped there, costs the median of those it does.
pub(crate) struct Timings {
    known: HashMap<(String, String), u64>,
    unknown: u64,
}

impl Timings {
    /// Read `path` (`--shard-timings`) for `project`; an unreadable or foreign file is a
    /// configuration error.
    pub fn read(path: &str, project: &str) -> Result<Timings> {
        let bad = |why: String| {
            Error::invalid_argument(
                "shard_timings",
                format!(
                    "{path} {why}; give the --json document of an earlier `looker-ci sql` run \
                     (one job's or merged)"
                ),
            )
        };
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
        let earlier: ValidationResult = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("is not a looker-ci result document ({e})")))?;
        if earlier.validator != ValidatorKind::Sql {
            return Err(bad(format!(
                "is a `{}` result, not a `sql` one",
                earlier.validator.as_str()
            )));
        }
        if earlier.project != project {
            return Err(bad(format!(
                "is a result of project `{}`, not `{project}`",
                earlier.project
            )));
        }
        let known: HashMap<(String, String), u64> = earlier
            .explores
            .into_iter()
            .filter(|e| e.status != "skipped")
            .map(|e| {
                let seconds = if e.query_seconds > 0.0 {
                    e.query_seconds
                } else {
                    e.seconds
                };
                ((e.model, e.explore), millis(seconds))
            })
            .collect();
        let mut costs: Vec<u64> = known.values().copied().collect();
        costs.sort_unstable();
        let unknown = costs.get(costs.len() / 2).copied().unwrap_or(1);
        Ok(Timings { known, unknown })
    }

    /// The estimated cost of `model/explore`.
    pub fn cost(&self, model: &str, explore: &str) -> u64 {
        self.known
            .get(&(model.to_owned(), explore.to_owned()))
            .copied()
            .unwrap_or(self.unknown)
    }
}

/// Whole milliseconds, at least 1 (an explore always has a first query to run) and at most a
/// year (so that a shard's summed load cannot overflow).
fn millis(seconds: f64) -> u64 {
    const YEAR_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;
    if seconds.is_finite() && seconds > 0.0 {
        ((seconds * 1000.0).round().min(YEAR_MS) as u64).max(1)
    } else {
        1
    }
}

/// The shard GitLab's `parallel:` gives this job (`CI_NODE_INDEX`/`CI_NODE_TOTAL`), if any.
pub fn from_ci_environment(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    let index = get("CI_NODE_INDEX")?;
    let total = get("CI_NODE_TOTAL")?;
    Some(format!("{}/{}", index.trim(), total.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::result::{CheckedExplore, GitRefValidated};

    fn key(item: &u64) -> String {
        item.to_string()
    }

    #[test]
    fn shards_cover_everything_once_and_balance_cost() {
        let items: Vec<u64> = (1..=40).map(|i| (i * 37) % 23 + 1).collect();
        let total_cost: u64 = items.iter().sum();
        let part = |index| split(items.clone(), Some(Shard { index, total: 4 }), key, |c| *c);
        let mut seen = Vec::new();
        let mut heaviest = 0;
        for index in 1..=4 {
            let (mine, _) = part(index);
            heaviest = heaviest.max(mine.iter().sum::<u64>());
            seen.extend(mine);
        }
        seen.sort();
        let mut all = items.clone();
        all.sort();
        assert_eq!(seen, all);
        // Longest-first onto the lightest shard is within one item of the even split.
        assert!(
            heaviest <= total_cost / 4 + 23,
            "{heaviest} of {total_cost}"
        );
        assert_eq!(
            split(items.clone(), None, key, |c| *c),
            (items.clone(), None)
        );
        assert_eq!(part(2), part(2));
        // Every shard of a run carries the same digest; another cost estimate changes it.
        assert_eq!(part(1).1, part(4).1);
        let other = split(
            items.clone(),
            Some(Shard { index: 1, total: 4 }),
            key,
            |c| *c + 1,
        );
        assert_ne!(other.1, part(1).1);
    }

    #[test]
    fn timings_come_from_an_earlier_sql_result() {
        let dir = std::env::temp_dir().join(format!("looker-ci-timings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sql.json");
        let write = |document: serde_json::Value| {
            std::fs::write(&path, document.to_string()).unwrap();
            path.display().to_string()
        };
        let document = |validator: ValidatorKind| {
            let mut result = ValidationResult::new(validator, "p", GitRefValidated::production());
            // (name, status, wall seconds, query seconds): the query time is the cost.
            let explores = [
                ("a", "failed", 9.0, 2.5),
                ("b", "passed", 5.0, 0.2),
                ("c", "passed", 0.0004, 0.0),
                ("d", "passed", 0.9, 0.9),
                ("e", "skipped", 0.0, 0.0),
                ("huge", "passed", 1e300, 1e300),
            ];
            for (name, status, seconds, query_seconds) in explores {
                result.explores.push(CheckedExplore {
                    model: "m".into(),
                    explore: name.into(),
                    status: status.into(),
                    fields: 3,
                    queries: 1,
                    seconds,
                    query_seconds,
                });
            }
            serde_json::to_value(result).unwrap()
        };
        let timings = Timings::read(&write(document(ValidatorKind::Sql)), "p").unwrap();
        assert_eq!(timings.cost("m", "a"), 2500);
        assert_eq!(timings.cost("m", "b"), 200);
        // No query time (a document older than it): its wall time, at least 1 ms.
        assert_eq!(timings.cost("m", "c"), 1);
        assert_eq!(timings.cost("m", "huge"), 31_536_000_000);
        // Skipped there, or not in it: the median of the known (1, 200, 900, 2500, a year).
        assert_eq!(timings.cost("m", "e"), 900);
        assert_eq!(timings.cost("m", "new"), 900);
        // Loads add up without overflowing.
        let items = vec![u64::MAX, u64::MAX, 1];
        let (mine, _) = split(items, Some(Shard { index: 1, total: 2 }), key, |c| *c);
        assert_eq!(mine, [u64::MAX, 1]);

        let err = Timings::read(&write(document(ValidatorKind::Sql)), "q")
            .err()
            .unwrap();
        assert!(err.to_string().contains("project `p`, not `q`"), "{err}");

        let err = Timings::read(&write(document(ValidatorKind::Content)), "p")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("shard_timings") && err.contains("`content`"),
            "{err}"
        );
        let err = Timings::read(&write(serde_json::json!([1, 2])), "p")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not a looker-ci result document"), "{err}");
        let missing = dir.join("missing.json").display().to_string();
        let err = Timings::read(&missing, "p").err().unwrap().to_string();
        assert!(
            err.contains("cannot be read") && err.contains("missing.json"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
