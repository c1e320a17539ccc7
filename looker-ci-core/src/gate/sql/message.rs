//! Reading database error messages: which identifiers a message names (to point at the likely
//! culprit before any bisection) and a normalised form to tell "the same error" apart from a
//! different one.

/// Words after which databases put the identifier they could not resolve.
const NAMING_WORDS: [&str; 6] = ["column", "name", "identifier", "field", "table", "relation"];

/// Identifiers a database error names, lower-cased, most specific first: quoted names (`"x"`,
/// `'x'`, `` `x` ``) and the word after `column`, `name:`, `identifier`, ... .
pub(crate) fn named_identifiers(message: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut push = |ident: &str| {
        let ident = ident
            .trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .to_ascii_lowercase();
        if ident.len() >= 2
            && ident.chars().any(|c| c.is_ascii_alphabetic())
            && !found.contains(&ident)
        {
            found.push(ident);
        }
    };
    for quote in ['"', '\'', '`'] {
        let mut parts = message.split(quote);
        parts.next();
        while let Some(inside) = parts.next() {
            if is_identifier(inside) {
                push(inside);
            }
            parts.next();
        }
    }
    let words: Vec<&str> = message.split_whitespace().collect();
    for pair in words.windows(2) {
        let keyword = pair[0].trim_end_matches(':').to_ascii_lowercase();
        if NAMING_WORDS.contains(&keyword.as_str()) {
            let candidate = pair[1].trim_end_matches([',', ';', ':']);
            if is_identifier(candidate.trim_matches(['"', '\'', '`'])) {
                push(candidate);
            }
        }
    }
    found
}

/// The tables a query's SQL joins, each with the alias it is joined as (`LEFT JOIN a.users AS
/// users`, `JOIN a.users u`, or `JOIN a.users ON`: the table's own name), lower-cased and
/// unquoted. Looker names a joined view's table only here: the explore's metadata leaves a
/// join's `sql_table_name` empty unless the join overrides the view's table.
pub(crate) fn joined_tables(sql: &str) -> Vec<(String, String)> {
    let unquote = |token: &str| {
        token
            .chars()
            .filter(|c| !matches!(c, '"' | '`' | '[' | ']'))
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let tokens: Vec<&str> = sql.split_whitespace().collect();
    let mut joined = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        if !token.eq_ignore_ascii_case("join") {
            continue;
        }
        let Some(table) = tokens.get(at + 1).map(|t| unquote(t)) else {
            continue;
        };
        // A BigQuery project id may hold `-`.
        if table.starts_with('(') || !is_identifier(&table.replace('-', "_")) {
            continue; // a derived table or a subquery: no table name to match
        }
        let alias = match tokens.get(at + 2) {
            Some(next) if next.eq_ignore_ascii_case("as") => tokens.get(at + 3).map(|a| unquote(a)),
            Some(next)
                if ![
                    "on", "using", "left", "inner", "join", "cross", "full", "right", "where",
                ]
                .contains(&next.to_ascii_lowercase().as_str()) =>
            {
                Some(unquote(next))
            }
            _ => None,
        };
        let alias = alias.unwrap_or_else(|| table.rsplit('.').next().unwrap_or(&table).to_owned());
        joined.push((table, alias));
    }
    joined
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'))
}

/// Whether `sql` mentions `identifier` as a whole word (`orders.statuz`, or `statuz` qualified by
/// `view`). `sql` is the field's LookML SQL with `${TABLE}` standing for its view.
pub(crate) fn sql_mentions(sql: &str, view: &str, identifier: &str) -> bool {
    let sql = sql
        .to_ascii_lowercase()
        .replace("${table}", &view.to_ascii_lowercase());
    if contains_word(&sql, identifier) {
        return true;
    }
    match identifier.rsplit_once('.') {
        Some((qualifier, column)) => {
            let qualifier = qualifier.rsplit('.').next().unwrap_or(qualifier);
            qualifier == view.to_ascii_lowercase() && contains_word(&sql, column)
        }
        None => false,
    }
}

fn contains_word(haystack: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    haystack.match_indices(word).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The message without positions, so one error reported at two places compares equal.
pub(crate) fn normalized(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut last_space = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_space = false;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_come_from_quotes_and_naming_words() {
        assert_eq!(
            named_identifiers("ERROR: column orders.statuz does not exist"),
            ["orders.statuz"]
        );
        assert_eq!(
            named_identifiers(r#"column "statuz" does not exist"#),
            ["statuz"]
        );
        assert_eq!(
            named_identifiers("Unrecognized name: statuz at [3:5]"),
            ["statuz"]
        );
        assert_eq!(
            named_identifiers("SQL compilation error: invalid identifier 'ORDERS.STATUZ'"),
            ["orders.statuz"]
        );
        assert_eq!(
            named_identifiers(r#"relation "public.orderz" does not exist"#),
            ["public.orderz"]
        );
        assert!(named_identifiers(r#"syntax error at or near ")""#).is_empty());
    }

    #[test]
    fn sql_mentions_whole_words_and_qualified_columns() {
        assert!(sql_mentions("${TABLE}.statuz", "orders", "orders.statuz"));
        assert!(sql_mentions("${TABLE}.statuz", "orders", "statuz"));
        assert!(!sql_mentions("${TABLE}.status", "orders", "statu"));
        assert!(!sql_mentions("${TABLE}.statuz", "users", "orders.statuz"));
        assert!(sql_mentions(
            "UPPER(${TABLE}.STATUZ)",
            "orders",
            "public.orders.statuz"
        ));
    }

    #[test]
    fn joined_tables_come_with_their_aliases() {
        let sql = "SELECT 1 FROM thelook.orders AS orders\nLEFT JOIN thelook.users ON orders.user_id \
                   = users.id INNER JOIN \"ana\".\"accounts\" AS acc ON 1=1 JOIN x.y z ON 1=1 \
                   LEFT JOIN (SELECT 1) AS d ON 1=1";
        assert_eq!(
            joined_tables(sql),
            [
                ("thelook.users".to_owned(), "users".to_owned()),
                ("ana.accounts".to_owned(), "acc".to_owned()),
                ("x.y".to_owned(), "z".to_owned()),
            ]
        );
        assert!(joined_tables("SELECT 1 FROM t").is_empty());
        assert_eq!(
            joined_tables("FROM a LEFT JOIN `my-proj.ds.users` AS users ON 1=1"),
            [("my-proj.ds.users".to_owned(), "users".to_owned())]
        );
    }

    #[test]
    fn normalisation_drops_positions_and_case() {
        assert_eq!(
            normalized("Unrecognized name: x at [3:5]"),
            normalized("unrecognized name: x at [12:1]")
        );
        assert_ne!(
            normalized("column a missing"),
            normalized("column b missing")
        );
    }
}
