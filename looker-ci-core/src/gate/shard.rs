//! Splitting explores across CI parallel jobs: deterministic (every job computes the same split
//! from the same list) and balanced by estimated cost (longest first onto the least-loaded
//! shard), so the slowest shard is close to 1/N of the work.

use crate::gate::result::Shard;

/// The items of `shard` (all of them when `None`). `cost` estimates an item's work.
pub(crate) fn pick<T>(items: Vec<T>, shard: Option<Shard>, cost: impl Fn(&T) -> u64) -> Vec<T> {
    let Some(shard) = shard else { return items };
    let total = shard.total.max(1) as usize;
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Ties keep the list order, so the split depends on the list alone.
    order.sort_by(|a, b| cost(&items[*b]).cmp(&cost(&items[*a])).then(a.cmp(b)));
    let mut load = vec![0u64; total];
    let mut owner = vec![0usize; items.len()];
    for index in order {
        let lightest = (0..total).min_by_key(|s| (load[*s], *s)).unwrap_or(0);
        load[lightest] += cost(&items[index]);
        owner[index] = lightest;
    }
    let wanted = shard.index as usize - 1;
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| owner[*i] == wanted)
        .map(|(_, item)| item)
        .collect()
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

    #[test]
    fn shards_cover_everything_once_and_balance_cost() {
        let items: Vec<u64> = (1..=40).map(|i| (i * 37) % 23 + 1).collect();
        let total_cost: u64 = items.iter().sum();
        let mut seen = Vec::new();
        let mut heaviest = 0;
        for index in 1..=4 {
            let part = pick(items.clone(), Some(Shard { index, total: 4 }), |c| *c);
            heaviest = heaviest.max(part.iter().sum::<u64>());
            seen.extend(part);
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
        assert_eq!(pick(items.clone(), None, |c| *c), items);
        let again = pick(items.clone(), Some(Shard { index: 2, total: 4 }), |c| *c);
        assert_eq!(
            again,
            pick(items, Some(Shard { index: 2, total: 4 }), |c| *c)
        );
    }
}
