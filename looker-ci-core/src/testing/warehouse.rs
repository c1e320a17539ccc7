//! The warehouse: the SQL Looker generates for a query over some fields of an explore, and what
//! a Postgres-like database answers. A query includes the base view and every joined view with a
//! selected field; it fails with the first error the database would meet: a missing table (base,
//! then joins in order), a bad join, then each selected expression in SELECT order (its own
//! error, or an ambiguous column when the view it clashes with is in the query).

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::project::{FakeExplore, FakeField, FakeProject, FakeView};
use super::reply::FakeReply;

/// Looker's row limit when a query sets none.
const DEFAULT_LIMIT: usize = 5000;
/// How deep `${view.field}` references are followed (LookML forbids cycles; this bounds them).
const MAX_REFERENCE_DEPTH: u8 = 8;

/// Why Looker refuses a query before generating any SQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Invalid {
    Model(String),
    Explore(String),
    Field(String),
    NoFields,
}

impl Invalid {
    /// Looker's 422 for the query's bad part.
    pub fn reply(&self) -> FakeReply {
        match self {
            Invalid::Model(m) => FakeReply::invalid("model", &format!("unknown model `{m}`")),
            Invalid::Explore(e) => FakeReply::invalid("view", &format!("unknown explore `{e}`")),
            Invalid::Field(f) => FakeReply::invalid("fields", &format!("unknown field `{f}`")),
            Invalid::NoFields => FakeReply::invalid("fields", "at least one field is required"),
        }
    }
}

/// A database error: its message, and where in the SQL it is when the database says so.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DbError {
    pub message: String,
    /// 1-based character of the SQL's (single) line.
    pub character: Option<usize>,
}

impl DbError {
    /// One entry of `errors` in a `json_detail` result.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"message": self.message, "message_details": null,
                               "level": "error"});
        if let Some(character) = self.character {
            error["sql_error_loc"] = json!({"line": 1, "character": character});
        }
        error
    }
}

/// One row: field name -> value.
pub(crate) type Row = Map<String, Value>;

/// What running a query gives.
#[derive(Debug, Clone)]
pub(crate) struct Execution {
    pub sql: String,
    pub result: Result<Vec<Row>, DbError>,
    /// How much longer than the base duration it runs (its slow fields; a failing query is
    /// refused before it runs).
    pub extra: Duration,
    pub dimensions: Vec<String>,
    pub measures: Vec<String>,
}

/// SQL text with the character position of each part, for `sql_error_loc`.
struct SqlText {
    text: String,
    chars: usize,
}

impl SqlText {
    /// Append `part`; returns the 1-based character where it starts.
    fn push(&mut self, part: &str) -> usize {
        let start = self.chars + 1;
        self.text.push_str(part);
        self.chars += part.chars().count();
        start
    }
}

/// Run `fields` of `model`'s `explore` with `limit` rows at most.
pub(crate) fn execute(
    project: &FakeProject,
    model: &str,
    explore: &str,
    fields: &[String],
    limit: Option<usize>,
) -> Result<Execution, Invalid> {
    if project.model(model).is_none() {
        return Err(Invalid::Model(model.into()));
    }
    let explore = project
        .explore(model, explore)
        .ok_or_else(|| Invalid::Explore(explore.into()))?;
    if fields.is_empty() {
        return Err(Invalid::NoFields);
    }
    let mut selected: Vec<&FakeField> = Vec::with_capacity(fields.len());
    for name in fields {
        let field = project
            .explore_field(explore, name)
            .ok_or_else(|| Invalid::Field(name.clone()))?;
        if !selected.iter().any(|f| f.name == field.name) {
            selected.push(field);
        }
    }
    // Looker selects dimensions first, then measures, each in the query's order.
    selected.sort_by_key(|f| is_measure(f));
    let views: Vec<&FakeView> = project
        .explore_views(explore)
        .into_iter()
        .enumerate()
        .filter(|(i, v)| *i == 0 || selected.iter().any(|f| f.view_name() == v.name))
        .map(|(_, v)| v)
        .collect();
    let limit = limit.unwrap_or(DEFAULT_LIMIT);

    let mut sql = SqlText {
        text: String::new(),
        chars: 0,
    };
    let mut first_error: Option<DbError> = None;
    let mut note = |error: Option<DbError>| {
        if first_error.is_none() {
            first_error = error;
        }
    };
    // The database checks FROM (tables, then joins) before the SELECT list.
    let mut select = SqlText {
        text: "SELECT ".into(),
        chars: 7,
    };
    let mut select_errors = Vec::new();
    for (i, field) in selected.iter().enumerate() {
        if i > 0 {
            select.push(", ");
        }
        let at = select.push(&select_expression(project, field));
        select.push(&format!(" AS \"{}\"", field.name));
        let clash = field
            .ambiguous_with
            .as_deref()
            .is_some_and(|other| views.iter().any(|v| v.name == other));
        select_errors.push(match (&field.error, clash) {
            (Some(message), _) => Some(DbError {
                message: message.clone(),
                character: field.error_loc.then_some(at),
            }),
            (None, true) => Some(DbError {
                message: format!(
                    "ERROR: column reference \"{}\" is ambiguous",
                    field.short_name()
                ),
                character: Some(at),
            }),
            (None, false) => None,
        });
    }
    // SELECT comes first in the text, so its positions hold as counted.
    sql.push(&select.text);
    let base = views[0];
    sql.push(" FROM ");
    let at = sql.push(&base.sql_table_name);
    note(table_error(base, at));
    push_alias(&mut sql, base);
    let mut join_errors = Vec::new();
    for view in &views[1..] {
        let Some(join) = explore.joins.iter().find(|j| j.name == view.name) else {
            continue;
        };
        sql.push(join_keyword(&join.join_type));
        let at = sql.push(&view.sql_table_name);
        note(table_error(view, at));
        push_alias(&mut sql, view);
        if join.join_type != "cross" {
            sql.push(" ON ");
            let at = sql.push(&expand(project, &view.name, &join.sql_on, 0));
            join_errors.push(join.error.as_ref().map(|message| DbError {
                message: message.clone(),
                character: Some(at),
            }));
        } else {
            join_errors.push(None);
        }
    }
    join_errors.into_iter().for_each(&mut note);
    select_errors.into_iter().for_each(&mut note);
    let dimension_positions: Vec<String> = (1..=selected.len())
        .zip(&selected)
        .filter(|(_, f)| !is_measure(f))
        .map(|(i, _)| i.to_string())
        .collect();
    if selected.iter().any(|f| is_measure(f)) && !dimension_positions.is_empty() {
        sql.push(&format!(" GROUP BY {}", dimension_positions.join(",")));
    }
    sql.push(&format!(" LIMIT {limit}"));

    let result = match first_error {
        Some(error) => Err(error),
        None => Ok((0..limit.min(base.rows))
            .map(|i| {
                selected
                    .iter()
                    .map(|f| (f.name.clone(), sample(f, i)))
                    .collect()
            })
            .collect()),
    };
    let extra = if result.is_ok() {
        Duration::from_millis(selected.iter().map(|f| f.slow_ms).sum())
    } else {
        Duration::ZERO
    };
    let (measures, dimensions): (Vec<&FakeField>, Vec<&FakeField>) =
        selected.iter().partition(|f| is_measure(f));
    Ok(Execution {
        sql: sql.text,
        result,
        extra,
        dimensions: dimensions.iter().map(|f| f.name.clone()).collect(),
        measures: measures.iter().map(|f| f.name.clone()).collect(),
    })
}

/// Whether the field is one of its view's measures.
pub(crate) fn is_measure(field: &FakeField) -> bool {
    matches!(
        field.field_type.as_str(),
        "count"
            | "count_distinct"
            | "sum"
            | "sum_distinct"
            | "average"
            | "average_distinct"
            | "min"
            | "max"
            | "median"
            | "list"
            | "percent_of_total"
    )
}

fn table_error(view: &FakeView, at: usize) -> Option<DbError> {
    view.error.as_ref().map(|message| DbError {
        message: message.clone(),
        character: Some(at),
    })
}

/// `AS <view>`, left out when the table's own name already is the view's name.
fn push_alias(sql: &mut SqlText, view: &FakeView) {
    let table = view.sql_table_name.rsplit('.').next().unwrap_or_default();
    if table != view.name {
        sql.push(&format!(" AS {}", view.name));
    }
}

fn join_keyword(join_type: &str) -> &'static str {
    match join_type {
        "inner" => " INNER JOIN ",
        "full_outer" => " FULL OUTER JOIN ",
        "cross" => " CROSS JOIN ",
        _ => " LEFT JOIN ",
    }
}

/// The field's SQL expression as it appears in SELECT.
fn select_expression(project: &FakeProject, field: &FakeField) -> String {
    let inner = expand(project, field.view_name(), &field.sql, 0);
    match field.field_type.as_str() {
        "count" if inner.is_empty() => "COUNT(*)".into(),
        "count" => format!("COUNT({inner})"),
        "count_distinct" => format!("COUNT(DISTINCT {inner})"),
        "sum" | "sum_distinct" => format!("COALESCE(SUM({inner}), 0)"),
        "average" | "average_distinct" => format!("AVG({inner})"),
        "min" => format!("MIN({inner})"),
        "max" => format!("MAX({inner})"),
        _ if inner.is_empty() => "NULL".into(),
        _ => inner,
    }
}

/// Replace `${TABLE}` with the view's alias and `${view.field}` / `${field}` with that field's
/// expanded SQL.
pub(crate) fn expand(project: &FakeProject, view: &str, sql: &str, depth: u8) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&resolve(project, view, &after[..end], depth));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn resolve(project: &FakeProject, view: &str, reference: &str, depth: u8) -> String {
    if reference == "TABLE" {
        return view.to_owned();
    }
    if let Some(other) = reference.strip_suffix(".SQL_TABLE_NAME")
        && let Some(v) = project.view(other)
    {
        return v.sql_table_name.clone();
    }
    let (owner, name) = match reference.split_once('.') {
        Some((owner, _)) => (owner, reference.to_owned()),
        None => (view, format!("{view}.{reference}")),
    };
    match project.field(&name) {
        Some(field) if depth < MAX_REFERENCE_DEPTH && !field.sql.is_empty() => {
            expand(project, owner, &field.sql, depth + 1)
        }
        _ => name,
    }
}

/// The value row `i` holds for `field`.
fn sample(field: &FakeField, i: usize) -> Value {
    if !field.values.is_empty() {
        return field.values[i % field.values.len()].clone();
    }
    match field.field_type.as_str() {
        "count" | "count_distinct" => json!(1),
        "number" | "sum" | "sum_distinct" | "average" | "average_distinct" | "min" | "max" => {
            json!(i + 1)
        }
        "yesno" => json!(if i.is_multiple_of(2) { "Yes" } else { "No" }),
        "date" => json!(format!("2024-01-{:02}", i % 28 + 1)),
        _ => json!(format!("{} {}", field.short_name(), i + 1)),
    }
}

/// The explore's fields as `LookmlModelExploreField`s, split into dimensions and measures.
pub(crate) fn explore_fields_json(
    project: &FakeProject,
    explore: &FakeExplore,
) -> (Vec<Value>, Vec<Value>) {
    let mut dimensions = Vec::new();
    let mut measures = Vec::new();
    for view in project.explore_views(explore) {
        for field in view.fields() {
            let measure = is_measure(field);
            let file = field.file.as_deref().unwrap_or(&view.file);
            let label_short = field
                .label
                .clone()
                .unwrap_or_else(|| title_case(field.short_name()));
            let json = json!({
                "name": field.name,
                "label": format!("{} {label_short}", title_case(&view.name)),
                "label_short": label_short,
                "description": field.description,
                "type": field.field_type,
                "category": if measure { "measure" } else { "dimension" },
                "measure": measure,
                "is_numeric": matches!(field.field_type.as_str(), "number") || measure,
                "hidden": field.hidden,
                "primary_key": field.primary_key,
                "tags": field.tags,
                "sql": field.sql,
                "view": view.name,
                "original_view": view.name,
                "view_label": title_case(&view.name),
                "scope": view.name,
                "project_name": project.name,
                "source_file": file,
                "source_file_path": format!("{}/{file}", project.name),
                "lookml_link":
                    format!("/projects/{}/files/{file}?line={}", project.name, field.line),
                "can_filter": true,
                "sortable": true,
                "suggestable": !measure,
                "error": null,
            });
            if measure {
                measures.push(json);
            } else {
                dimensions.push(json);
            }
        }
    }
    (dimensions, measures)
}

/// `created_date` -> `Created Date`.
pub(crate) fn title_case(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().collect::<String>() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}
