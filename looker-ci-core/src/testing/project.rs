//! The LookML project as data: models, explores, joins, views, fields, validation errors, data
//! tests and content. Faults are data too (a field's database error, a missing table, a bad join,
//! an ambiguous column, a slow field), so a test builds a broken project the same way it builds a
//! clean one, in Rust or as JSON from the Python and Node bindings.
//!
//! Every struct takes its defaults for missing keys and refuses unknown ones, so a typo in a
//! test's JSON fails loudly instead of building a different world.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A LookML project: what one commit of its repository holds.
///
/// Content (looks, dashboards, folders) lives in Looker's database, not in git: FakeLooker reads
/// it from production's project and checks it against whichever code the session sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeProject {
    /// The project id (`/projects/{name}`).
    pub name: String,
    /// The model files.
    pub models: Vec<FakeModel>,
    /// The views, shared by every model's explores.
    pub views: Vec<FakeView>,
    /// What LookML validation reports for this code.
    pub lookml_errors: Vec<FakeLookmlError>,
    /// The project's LookML data tests.
    pub data_tests: Vec<FakeDataTest>,
    /// Content folders (read from production's project only).
    pub folders: Vec<FakeFolder>,
    /// Saved Looks (read from production's project only).
    pub looks: Vec<FakeLook>,
    /// Dashboards (read from production's project only).
    pub dashboards: Vec<FakeDashboard>,
    /// The manifest's imported projects (`local_dependency`, `remote_dependency`). A local
    /// import's views join this project's, as the code the session sees of the imported project
    /// has them (its production, or the branch checked out in the dev workspace); add the
    /// imported project with [`FakeLooker::add_project`](super::FakeLooker::add_project).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<FakeImport>,
}

/// One `local_dependency` (no `url`) or `remote_dependency` of a project's manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeImport {
    /// The imported project's id.
    pub name: String,
    /// A remote dependency's git URL; `None` for a local dependency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A remote dependency's ref.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Default for FakeProject {
    fn default() -> Self {
        FakeProject {
            name: "thelook".into(),
            models: Vec::new(),
            views: Vec::new(),
            lookml_errors: Vec::new(),
            data_tests: Vec::new(),
            folders: Vec::new(),
            looks: Vec::new(),
            dashboards: Vec::new(),
            imports: Vec::new(),
        }
    }
}

/// A model file and its explores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeModel {
    /// The model's name.
    pub name: String,
    /// The label Looker shows; `None` shows the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The database connection the model uses.
    pub connection: String,
    /// The model file's project-relative path, e.g. `thelook.model.lkml`.
    pub file: String,
    /// The model's explores.
    pub explores: Vec<FakeExplore>,
}

impl Default for FakeModel {
    fn default() -> Self {
        FakeModel {
            name: String::new(),
            label: None,
            connection: "database".into(),
            file: String::new(),
            explores: Vec::new(),
        }
    }
}

/// An explore: a base view and the views joined to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeExplore {
    /// The explore's name in its model.
    pub name: String,
    /// The base view; the explore's own name when absent (as in LookML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_name: Option<String>,
    /// The label Looker shows; `None` shows the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The explore's description, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `hidden: yes` in LookML.
    pub hidden: bool,
    /// The explore's LookML `tags`.
    pub tags: Vec<String>,
    /// The views joined to the base view, in order.
    pub joins: Vec<FakeJoin>,
    /// The project-relative file that defines it.
    pub file: String,
    /// The line of `explore:` in `file`, 1-based.
    pub line: u32,
}

impl FakeExplore {
    /// The name of the base view.
    pub fn base_view(&self) -> &str {
        self.view_name.as_deref().unwrap_or(&self.name)
    }
}

/// `join: <name>` in an explore: the joined view is the one called `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeJoin {
    /// The joined view's name.
    pub name: String,
    /// The ON expression, with `${view.field}` references.
    pub sql_on: String,
    /// `many_to_one` (default), `one_to_one`, `one_to_many` or `many_to_many`.
    pub relationship: String,
    /// `left_outer`, `inner`, `full_outer` or `cross`.
    #[serde(rename = "type")]
    pub join_type: String,
    /// A bad `sql_on`: the database message of every query that includes this join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Default for FakeJoin {
    fn default() -> Self {
        FakeJoin {
            name: String::new(),
            sql_on: String::new(),
            relationship: "many_to_one".into(),
            join_type: "left_outer".into(),
            error: None,
        }
    }
}

/// A view: one table and its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeView {
    /// The view's name, the `view` of its fields' `view.field`.
    pub name: String,
    /// The table the view reads, e.g. `public.orders`.
    pub sql_table_name: String,
    /// The project-relative file that defines it.
    pub file: String,
    /// The line of `view:` in `file`, 1-based (default 1).
    pub line: u32,
    /// The table is missing: the database message of every query that includes this view,
    /// e.g. `relation "public.orderz" does not exist`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How many rows the table holds (a query returns at most this many).
    pub rows: usize,
    /// The view's dimensions.
    pub dimensions: Vec<FakeField>,
    /// The view's measures.
    pub measures: Vec<FakeField>,
}

impl Default for FakeView {
    fn default() -> Self {
        FakeView {
            name: String::new(),
            sql_table_name: String::new(),
            file: String::new(),
            line: 1,
            error: None,
            rows: 3,
            dimensions: Vec::new(),
            measures: Vec::new(),
        }
    }
}

impl FakeView {
    /// Dimensions, then measures.
    pub fn fields(&self) -> impl Iterator<Item = &FakeField> {
        self.dimensions.iter().chain(&self.measures)
    }

    fn fields_mut(&mut self) -> impl Iterator<Item = &mut FakeField> {
        self.dimensions.iter_mut().chain(self.measures.iter_mut())
    }
}

/// A dimension or measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeField {
    /// `view.field`.
    pub name: String,
    /// The LookML type: `string`, `number`, `date`, `yesno`, `count`, `sum`, `average`, ...
    #[serde(rename = "type")]
    pub field_type: String,
    /// The LookML `sql`, with `${TABLE}` and `${view.field}` references.
    pub sql: String,
    /// The label Looker shows; `None` shows the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The field's description, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `hidden: yes` in LookML.
    pub hidden: bool,
    /// `primary_key: yes` in LookML.
    pub primary_key: bool,
    /// The field's LookML `tags`.
    pub tags: Vec<String>,
    /// The source file; the view's file when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line that defines it, 1-based (default 1).
    pub line: u32,
    /// The database message this field's SQL produces, e.g.
    /// `ERROR: column orders.statuz does not exist`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the database says where in the SQL `error` is (Looker's `sql_error_loc`); errors
    /// found while running, such as a bad cast, come without a location.
    pub error_loc: bool,
    /// The field's column is ambiguous when this other view is in the same query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ambiguous_with: Option<String>,
    /// Extra milliseconds every query selecting this field runs for.
    pub slow_ms: u64,
    /// Sample values: row `i` holds `values[i % len]`; generated from the type when empty.
    pub values: Vec<Value>,
}

impl Default for FakeField {
    fn default() -> Self {
        FakeField {
            name: String::new(),
            field_type: "string".into(),
            sql: String::new(),
            label: None,
            description: None,
            hidden: false,
            primary_key: false,
            tags: Vec::new(),
            file: None,
            line: 1,
            error: None,
            error_loc: true,
            ambiguous_with: None,
            slow_ms: 0,
            values: Vec::new(),
        }
    }
}

impl FakeField {
    /// A field of type `field_type` with this SQL.
    pub fn new(name: &str, field_type: &str, sql: &str) -> Self {
        FakeField {
            name: name.into(),
            field_type: field_type.into(),
            sql: sql.into(),
            ..FakeField::default()
        }
    }

    /// The part after `view.`.
    pub fn short_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// The view part of `view.field`.
    pub fn view_name(&self) -> &str {
        self.name.split('.').next().unwrap_or(&self.name)
    }
}

/// One LookML validation error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeLookmlError {
    /// `info`, `warning`, `error` or `fatal`.
    pub severity: String,
    /// The validator's message.
    pub message: String,
    /// The project-relative file it is in.
    pub file: String,
    /// The line in `file`, 1-based (default 1).
    pub line: u32,
    /// The model it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The explore it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explore: Option<String>,
    /// The field (`view.field`) it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Default for FakeLookmlError {
    fn default() -> Self {
        FakeLookmlError {
            severity: "error".into(),
            message: String::new(),
            file: String::new(),
            line: 1,
            model: None,
            explore: None,
            field: None,
        }
    }
}

/// A LookML data test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeDataTest {
    /// The test's name.
    pub name: String,
    /// The model the test belongs to.
    pub model: String,
    /// The explore its query runs on.
    pub explore: String,
    /// The project-relative file that defines it.
    pub file: String,
    /// The line of `test:` in `file`, 1-based (default 1).
    pub line: u32,
    /// Whether its assertion holds (default `true`).
    pub passes: bool,
    /// What a failing assertion reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fields the test's query selects: a database error of theirs fails the test too.
    pub fields: Vec<String>,
}

impl Default for FakeDataTest {
    fn default() -> Self {
        FakeDataTest {
            name: String::new(),
            model: String::new(),
            explore: String::new(),
            file: String::new(),
            line: 1,
            passes: true,
            message: None,
            fields: Vec::new(),
        }
    }
}

/// A content folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeFolder {
    /// The folder's Looker id.
    pub id: String,
    /// The folder's name.
    pub name: String,
    /// The id of the folder it is in; `None` for a top-level folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// A user's personal folder.
    pub is_personal: bool,
    /// The id of the user who created it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
}

/// A saved Look: one query over one explore.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeLook {
    /// The Look's Looker id.
    pub id: String,
    /// The Look's title.
    pub title: String,
    /// The id of the folder it is saved in.
    pub folder_id: String,
    /// The model of its query.
    pub model: String,
    /// The explore of its query.
    pub explore: String,
    /// The fields (`view.field`) its query selects; content validation reports each one the
    /// explore no longer has.
    pub fields: Vec<String>,
}

/// A dashboard and its tiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeDashboard {
    /// The dashboard's Looker id.
    pub id: String,
    /// The dashboard's title.
    pub title: String,
    /// The id of the folder it is saved in.
    pub folder_id: String,
    /// Its tiles.
    pub elements: Vec<FakeDashboardElement>,
}

/// A dashboard tile: one query over one explore.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FakeDashboardElement {
    /// The tile's Looker id.
    pub id: String,
    /// The tile's title.
    pub title: String,
    /// The model of its query.
    pub model: String,
    /// The explore of its query.
    pub explore: String,
    /// The fields (`view.field`) its query selects; content validation reports each one the
    /// explore no longer has.
    pub fields: Vec<String>,
}

/// Why a change to the fake world could not be made (an unknown branch, view or field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWorldError(
    /// What could not be found or changed.
    pub String,
);

impl fmt::Display for FakeWorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FakeWorldError {}

fn not_found(what: &str, name: &str) -> FakeWorldError {
    FakeWorldError(format!("no {what} `{name}` in this project"))
}

impl FakeProject {
    /// The model called `name`.
    pub fn model(&self, name: &str) -> Option<&FakeModel> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The explore `explore` of model `model`.
    pub fn explore(&self, model: &str, explore: &str) -> Option<&FakeExplore> {
        self.model(model)?
            .explores
            .iter()
            .find(|e| e.name == explore)
    }

    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&FakeView> {
        self.views.iter().find(|v| v.name == name)
    }

    /// The dimension or measure `view.field`.
    pub fn field(&self, name: &str) -> Option<&FakeField> {
        let view = name.split('.').next()?;
        self.view(view)?.fields().find(|f| f.name == name)
    }

    /// The views of an explore that exist: the base view, then joined views in join order.
    pub fn explore_views<'a>(&'a self, explore: &'a FakeExplore) -> Vec<&'a FakeView> {
        std::iter::once(explore.base_view())
            .chain(explore.joins.iter().map(|j| j.name.as_str()))
            .filter_map(|name| self.view(name))
            .collect()
    }

    /// The explore's field called `name`, if one of its views defines it.
    pub fn explore_field<'a>(
        &'a self,
        explore: &'a FakeExplore,
        name: &str,
    ) -> Option<&'a FakeField> {
        self.explore_views(explore)
            .into_iter()
            .flat_map(FakeView::fields)
            .find(|f| f.name == name)
    }

    fn view_mut(&mut self, name: &str) -> Result<&mut FakeView, FakeWorldError> {
        self.views
            .iter_mut()
            .find(|v| v.name == name)
            .ok_or_else(|| not_found("view", name))
    }

    fn field_mut(&mut self, name: &str) -> Result<&mut FakeField, FakeWorldError> {
        let view = name.split('.').next().unwrap_or_default();
        self.view_mut(view)?
            .fields_mut()
            .find(|f| f.name == name)
            .ok_or_else(|| not_found("field", name))
    }

    /// Make the SQL of `field` (`view.field`) fail with this database message.
    pub fn break_field(&mut self, field: &str, message: &str) -> Result<(), FakeWorldError> {
        self.field_mut(field)?.error = Some(message.into());
        Ok(())
    }

    /// Make the join of `view` into `model`'s `explore` fail with this database message.
    pub fn break_join(
        &mut self,
        model: &str,
        explore: &str,
        view: &str,
        message: &str,
    ) -> Result<(), FakeWorldError> {
        let explore_ref = self
            .models
            .iter_mut()
            .find(|m| m.name == model)
            .ok_or_else(|| not_found("model", model))?
            .explores
            .iter_mut()
            .find(|e| e.name == explore)
            .ok_or_else(|| not_found("explore", explore))?;
        let join = explore_ref
            .joins
            .iter_mut()
            .find(|j| j.name == view)
            .ok_or_else(|| not_found("join", view))?;
        join.error = Some(message.into());
        Ok(())
    }

    /// Make `view`'s table missing: every query that includes the view fails with this message.
    pub fn break_table(&mut self, view: &str, message: &str) -> Result<(), FakeWorldError> {
        self.view_mut(view)?.error = Some(message.into());
        Ok(())
    }

    /// Make `field` select its bare column (`id` rather than `${TABLE}.id`), which the database
    /// finds ambiguous whenever `other_view` is in the same query.
    pub fn make_ambiguous(&mut self, field: &str, other_view: &str) -> Result<(), FakeWorldError> {
        if self.view(other_view).is_none() {
            return Err(not_found("view", other_view));
        }
        let field = self.field_mut(field)?;
        field.sql = field.short_name().to_owned();
        field.ambiguous_with = Some(other_view.into());
        Ok(())
    }

    /// Every query selecting `field` runs `extra` longer.
    pub fn slow_field(&mut self, field: &str, extra: Duration) -> Result<(), FakeWorldError> {
        self.field_mut(field)?.slow_ms = u64::try_from(extra.as_millis()).unwrap_or(u64::MAX);
        Ok(())
    }

    /// Delete `field` from its view, as a branch that drops a dimension does.
    pub fn remove_field(&mut self, field: &str) -> Result<(), FakeWorldError> {
        let view_name = field.split('.').next().unwrap_or_default().to_owned();
        let view = self.view_mut(&view_name)?;
        let before = view.dimensions.len() + view.measures.len();
        view.dimensions.retain(|f| f.name != field);
        view.measures.retain(|f| f.name != field);
        if view.dimensions.len() + view.measures.len() == before {
            return Err(not_found("field", field));
        }
        Ok(())
    }

    /// The folder with this id.
    pub fn folder(&self, id: &str) -> Option<&FakeFolder> {
        self.folders.iter().find(|f| f.id == id)
    }
}
