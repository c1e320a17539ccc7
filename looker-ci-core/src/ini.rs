//! A small `looker.ini` reader: `[section]` headers, `key = value` or `key: value` lines,
//! `#` and `;` comment lines. Values may be wrapped in matching quotes, which are removed. A `#`
//! or `;` after a value is part of the value, as the official SDKs read it.

/// One `[section]` of the file, keys in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the text; an error gives the 1-based line number and what is wrong with it
/// (never the line itself, which may hold a secret).
pub(crate) fn parse(text: &str) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or((index + 1, "section header is missing `]`".to_owned()))?;
            sections.push(Section {
                name: name.trim().to_owned(),
                entries: Vec::new(),
            });
            continue;
        }
        let split = line
            .find(['=', ':'])
            .ok_or((index + 1, "expected `key = value`".to_owned()))?;
        let section = sections.last_mut().ok_or((
            index + 1,
            "a setting appears before any [section]".to_owned(),
        ))?;
        let key = line[..split].trim().to_owned();
        let value = unquote(line[split + 1..].trim()).to_owned();
        section.entries.push((key, value));
    }
    Ok(sections)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_comments_quotes_and_colons() {
        let text = "# comment\n[Looker]\nbase_url = https://a:19999\n; other\nclient_id: \"id\"\n\n[Two]\nk='v'\n";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "Looker");
        assert_eq!(sections[0].get("base_url"), Some("https://a:19999"));
        assert_eq!(sections[0].get("CLIENT_ID"), Some("id"));
        assert_eq!(sections[1].get("k"), Some("v"));
    }

    #[test]
    fn an_inline_comment_after_a_value_is_part_of_the_value() {
        // As the official SDKs read the file (no inline comment prefixes): only whole lines
        // starting with `#` or `;` are comments. docs/settings.md says so.
        let sections = parse("[L]\ntimeout=30 ; seconds\nclient_id=abc # id\n").unwrap();
        assert_eq!(sections[0].get("timeout"), Some("30 ; seconds"));
        assert_eq!(sections[0].get("client_id"), Some("abc # id"));
    }

    #[test]
    fn errors_name_the_line_not_its_content() {
        let (line, msg) = parse("[A]\nsecret-without-equals\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(!msg.contains("secret"));
        assert_eq!(parse("k=v\n").unwrap_err().0, 1);
    }
}
