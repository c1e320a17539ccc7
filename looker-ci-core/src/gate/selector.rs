//! Explore selectors: `model/explore`, `*` wildcards, `-model/explore` excludes. A selector
//! without a wildcard that matches nothing is an error naming it: a typo must not quietly
//! validate nothing.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    text: String,
    model: String,
    explore: String,
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern> {
        let trimmed = text.trim();
        let (model, explore) = match trimmed.split_once('/') {
            Some((model, explore)) => (model.trim(), explore.trim()),
            // A bare model name selects all its explores.
            None => (trimmed, "*"),
        };
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '?' | '-'))
        };
        if !valid(model) || !valid(explore) || explore.contains('/') {
            return Err(Error::invalid_argument(
                "explores",
                format!(
                    "`{text}` is not a selector: write `model/explore`, `model/*`, `model` or \
                     `-model/explore` (letters, digits, `_`, and `*`/`?` wildcards)"
                ),
            ));
        }
        Ok(Pattern {
            text: trimmed.to_owned(),
            model: model.to_owned(),
            explore: explore.to_owned(),
        })
    }

    /// Whether a part names nothing that exists: a part with a wildcard may match nothing.
    fn names_nothing(&self, available: &[(String, String)]) -> bool {
        let literal = |part: &str| !part.contains(['*', '?']);
        (literal(&self.model) && !available.iter().any(|(m, _)| *m == self.model))
            || (literal(&self.explore) && !available.iter().any(|(m, e)| self.matches(m, e)))
    }

    fn matches(&self, model: &str, explore: &str) -> bool {
        glob(&self.model, model) && glob(&self.explore, explore)
    }
}

/// `*` matches any run of characters, `?` one character; case-sensitive like LookML names.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Which explores a validation covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExploreSelector {
    includes: Vec<Pattern>,
    excludes: Vec<Pattern>,
}

impl ExploreSelector {
    /// Parse selectors as the CLI takes them; an empty list (or only excludes) selects every
    /// explore. Selectors may also be given comma- or space-separated in one string.
    pub fn parse<S: AsRef<str>>(selectors: &[S]) -> Result<ExploreSelector> {
        let mut selector = ExploreSelector::default();
        for text in selectors
            .iter()
            .flat_map(|s| {
                s.as_ref()
                    .split([',', ' '])
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.trim().is_empty())
        {
            match text.trim().strip_prefix('-') {
                Some(excluded) => selector.excludes.push(Pattern::parse(excluded)?),
                None => selector.includes.push(Pattern::parse(&text)?),
            }
        }
        Ok(selector)
    }

    /// Whether `model/explore` is selected.
    pub fn selects(&self, model: &str, explore: &str) -> bool {
        let included =
            self.includes.is_empty() || self.includes.iter().any(|p| p.matches(model, explore));
        included && !self.excludes.iter().any(|p| p.matches(model, explore))
    }

    /// The selected `(model, explore)` pairs of `available`, in its order. A selector without a
    /// wildcard that names nothing in `available` is an error that lists close names.
    pub fn select(&self, available: &[(String, String)]) -> Result<Vec<(String, String)>> {
        for pattern in self.includes.iter().chain(&self.excludes) {
            if pattern.names_nothing(available) {
                return Err(unknown(pattern, available));
            }
        }
        Ok(available
            .iter()
            .filter(|(m, e)| self.selects(m, e))
            .cloned()
            .collect())
    }
}

fn unknown(pattern: &Pattern, available: &[(String, String)]) -> Error {
    let models: Vec<&str> = {
        let mut m: Vec<&str> = available.iter().map(|(m, _)| m.as_str()).collect();
        m.dedup();
        m
    };
    let message = if !models.contains(&pattern.model.as_str()) {
        format!(
            "no model `{}` in the project (models: {}); selector `{}`",
            pattern.model,
            list(&models),
            pattern.text
        )
    } else {
        let explores: Vec<&str> = available
            .iter()
            .filter(|(m, _)| *m == pattern.model)
            .map(|(_, e)| e.as_str())
            .collect();
        format!(
            "model `{}` has no explore `{}` (explores: {}); selector `{}`",
            pattern.model,
            pattern.explore,
            list(&explores),
            pattern.text
        )
    };
    Error::invalid_argument("explores", message)
}

fn list(names: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(", and {} more", names.len() - SHOWN));
    }
    if text.is_empty() { "none".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn available() -> Vec<(String, String)> {
        [
            ("thelook", "orders"),
            ("thelook", "users"),
            ("ecom", "order_items"),
        ]
        .iter()
        .map(|(m, e)| (m.to_string(), e.to_string()))
        .collect()
    }

    #[test]
    fn wildcards_and_excludes_select_explores() {
        let all = ExploreSelector::parse::<&str>(&[]).unwrap();
        assert_eq!(all.select(&available()).unwrap().len(), 3);
        let s = ExploreSelector::parse(&["thelook/*", "-thelook/users"]).unwrap();
        let got = s.select(&available()).unwrap();
        assert_eq!(got, vec![("thelook".to_string(), "orders".to_string())]);
        let s = ExploreSelector::parse(&["*/order*"]).unwrap();
        assert_eq!(s.select(&available()).unwrap().len(), 2);
        let s = ExploreSelector::parse(&["ecom"]).unwrap();
        assert_eq!(s.select(&available()).unwrap()[0].1, "order_items");
        let s = ExploreSelector::parse(&["thelook/orders,ecom/order_items"]).unwrap();
        assert_eq!(s.select(&available()).unwrap().len(), 2);
        assert!(glob("a*b?d", "axxbcd") && !glob("a*b?d", "axxbd"));
    }

    #[test]
    fn unknown_names_are_errors_that_list_what_exists() {
        let err = ExploreSelector::parse(&["thelook/ordrs"])
            .unwrap()
            .select(&available())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no explore `ordrs`") && err.contains("orders, users"),
            "{err}"
        );
        // A wildcard may match nothing; a literal model name must exist.
        let none = ExploreSelector::parse(&["*/nothing_*"])
            .unwrap()
            .select(&available());
        assert!(none.unwrap().is_empty());
        for bad in ["nope", "nope/*"] {
            let err = ExploreSelector::parse(&[bad]).unwrap().select(&available());
            assert!(
                err.unwrap_err().to_string().contains("no model `nope`"),
                "{bad}"
            );
        }
        let err = ExploreSelector::parse(&["-nope/x"])
            .unwrap()
            .select(&available());
        assert!(err.unwrap_err().to_string().contains("no model `nope`"));
        assert!(ExploreSelector::parse(&["a/b/c"]).is_err());
        assert!(ExploreSelector::parse(&["a;drop"]).is_err());
    }
}
