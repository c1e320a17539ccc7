//! Looker's `fields` query parameter: `name,label,explores(name,label)` keeps only those keys of
//! a reply (of each item of an array reply), nested selections applying to what a key holds.

use serde_json::Value;

/// One selected key and, for `key(a,b)`, the selection applied to its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub name: String,
    pub nested: Option<Vec<Field>>,
}

/// Parse `a,b(c,d)`. Blank names are skipped; an unclosed `(` closes at the end of the text and
/// a stray `)` ends the selection, so any text parses.
pub(crate) fn parse(text: &str) -> Vec<Field> {
    let mut chars = text.chars().peekable();
    parse_list(&mut chars)
}

fn parse_list(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut name = String::new();
    let mut nested = None;
    let mut push = |name: &mut String, nested: &mut Option<Vec<Field>>| {
        let trimmed = name.trim();
        if !trimmed.is_empty() {
            fields.push(Field {
                name: trimmed.to_owned(),
                nested: nested.take(),
            });
        }
        name.clear();
        *nested = None;
    };
    while let Some(c) = chars.next() {
        match c {
            ',' => push(&mut name, &mut nested),
            '(' => nested = Some(parse_list(chars)),
            ')' => break,
            c => name.push(c),
        }
    }
    push(&mut name, &mut nested);
    fields
}

/// Keep only `fields` of `value`: of an object, of each object of an array; other values stay.
pub(crate) fn select(value: &mut Value, fields: &[Field]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| select(item, fields)),
        Value::Object(object) => {
            object.retain(|key, _| fields.iter().any(|f| f.name == *key));
            for field in fields {
                if let (Some(nested), Some(inner)) = (&field.nested, object.get_mut(&field.name)) {
                    select(inner, nested);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_flat_and_nested_selections() {
        let fields = parse(" name, explores(name,label) ,,id");
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["name", "explores", "id"]);
        let nested = fields[1].nested.as_ref().expect("explores is nested");
        assert_eq!(nested.len(), 2);
        assert!(fields[0].nested.is_none());
        assert!(parse("").is_empty());
        assert_eq!(parse("a(b").len(), 1);
    }

    #[test]
    fn keeps_only_the_selected_keys_at_every_level() {
        let mut models = json!([
            {"name": "m", "label": "M", "explores": [{"name": "e", "label": "E", "hidden": false}]},
            {"name": "n", "label": "N", "explores": []},
        ]);
        select(&mut models, &parse("name,explores(name)"));
        assert_eq!(
            models,
            json!([{"name": "m", "explores": [{"name": "e"}]}, {"name": "n", "explores": []}])
        );
        let mut text = json!("sql");
        select(&mut text, &parse("name"));
        assert_eq!(text, json!("sql"));
    }
}
