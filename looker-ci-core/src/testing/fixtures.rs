//! Ready-made projects: `thelook`, the small default world, and `synthetic`, a wide one for
//! benchmarks.

use serde_json::{Value, json};

use super::project::{
    FakeDashboard, FakeDashboardElement, FakeDataTest, FakeExplore, FakeField, FakeFolder,
    FakeJoin, FakeLook, FakeModel, FakeProject, FakeView,
};

/// A field at `line` with sample values.
fn field(name: &str, field_type: &str, sql: &str, line: u32, values: Value) -> FakeField {
    FakeField {
        line,
        values: values.as_array().cloned().unwrap_or_default(),
        ..FakeField::new(name, field_type, sql)
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn folder(id: &str, name: &str, parent: Option<&str>) -> FakeFolder {
    FakeFolder {
        id: id.into(),
        name: name.into(),
        parent_id: parent.map(Into::into),
        ..FakeFolder::default()
    }
}

fn tile(
    id: &str,
    title: &str,
    model: &str,
    explore: &str,
    fields: &[&str],
) -> FakeDashboardElement {
    FakeDashboardElement {
        id: id.into(),
        title: title.into(),
        model: model.into(),
        explore: explore.into(),
        fields: strings(fields),
    }
}

impl FakeProject {
    /// The default world: project and model `thelook`, explore `orders` (view `orders` joined to
    /// `users`) and explore `users`, three rows per table, two passing data tests, three looks and
    /// two dashboards in nested folders (one personal). Nothing in it fails.
    pub fn thelook() -> FakeProject {
        let orders_file = "views/orders.view.lkml";
        let mut id = field("orders.id", "number", "${TABLE}.id", 3, json!([1, 2, 3]));
        id.primary_key = true;
        let mut user_id = field(
            "orders.user_id",
            "number",
            "${TABLE}.user_id",
            12,
            json!([1, 2, 1]),
        );
        user_id.hidden = true;
        let mut amount = field(
            "orders.total_amount",
            "sum",
            "${TABLE}.amount",
            24,
            json!([25.0, 40.5, 12.0]),
        );
        amount.tags = strings(&["finance"]);
        let orders = FakeView {
            name: "orders".into(),
            sql_table_name: "thelook.orders".into(),
            file: orders_file.into(),
            dimensions: vec![
                id,
                field(
                    "orders.status",
                    "string",
                    "${TABLE}.status",
                    8,
                    json!(["complete", "pending", "complete"]),
                ),
                user_id,
                field(
                    "orders.created_date",
                    "date",
                    "${TABLE}.created_at::date",
                    16,
                    json!(["2024-01-05", "2024-01-06", "2024-02-01"]),
                ),
            ],
            measures: vec![field("orders.count", "count", "", 20, json!([1])), amount],
            ..FakeView::default()
        };
        let mut user_pk = field("users.id", "number", "${TABLE}.id", 3, json!([1, 2, 3]));
        user_pk.primary_key = true;
        let mut email = field(
            "users.email",
            "string",
            "${TABLE}.email",
            12,
            json!(["ada@example.com", "grace@example.com", "alan@example.com"]),
        );
        email.tags = strings(&["pii"]);
        let users = FakeView {
            name: "users".into(),
            sql_table_name: "thelook.users".into(),
            file: "views/users.view.lkml".into(),
            dimensions: vec![
                user_pk,
                field(
                    "users.name",
                    "string",
                    "${TABLE}.name",
                    8,
                    json!(["Ada", "Grace", "Alan"]),
                ),
                email,
            ],
            measures: vec![field("users.count", "count", "", 16, json!([1]))],
            ..FakeView::default()
        };
        let model = FakeModel {
            name: "thelook".into(),
            label: Some("The Look".into()),
            connection: "thelook".into(),
            file: "thelook.model.lkml".into(),
            explores: vec![
                FakeExplore {
                    name: "orders".into(),
                    label: Some("Orders".into()),
                    joins: vec![FakeJoin {
                        name: "users".into(),
                        sql_on: "${orders.user_id} = ${users.id}".into(),
                        ..FakeJoin::default()
                    }],
                    file: "thelook.model.lkml".into(),
                    line: 5,
                    ..FakeExplore::default()
                },
                FakeExplore {
                    name: "users".into(),
                    label: Some("Users".into()),
                    file: "thelook.model.lkml".into(),
                    line: 13,
                    ..FakeExplore::default()
                },
            ],
        };
        let data_test = |name: &str, explore: &str, file: &str, fields: &[&str]| FakeDataTest {
            name: name.into(),
            model: "thelook".into(),
            explore: explore.into(),
            file: file.into(),
            line: 1,
            fields: strings(fields),
            ..FakeDataTest::default()
        };
        let mut personal = folder("5", "Ada Admin", Some("2"));
        personal.is_personal = true;
        personal.creator_id = Some("1".into());
        FakeProject {
            name: "thelook".into(),
            models: vec![model],
            views: vec![orders, users],
            lookml_errors: Vec::new(),
            data_tests: vec![
                data_test(
                    "orders_have_ids",
                    "orders",
                    "tests/orders.lkml",
                    &["orders.id"],
                ),
                data_test(
                    "users_are_unique",
                    "users",
                    "tests/users.lkml",
                    &["users.id", "users.count"],
                ),
            ],
            folders: vec![
                folder("1", "Shared", None),
                folder("2", "Users", None),
                folder("3", "Sales", Some("1")),
                folder("4", "EMEA", Some("3")),
                personal,
            ],
            looks: vec![
                FakeLook {
                    id: "1".into(),
                    title: "Orders by status".into(),
                    folder_id: "3".into(),
                    model: "thelook".into(),
                    explore: "orders".into(),
                    fields: strings(&["orders.status", "orders.count"]),
                },
                FakeLook {
                    id: "2".into(),
                    title: "Revenue by month".into(),
                    folder_id: "4".into(),
                    model: "thelook".into(),
                    explore: "orders".into(),
                    fields: strings(&["orders.created_date", "orders.total_amount"]),
                },
                FakeLook {
                    id: "3".into(),
                    title: "My users".into(),
                    folder_id: "5".into(),
                    model: "thelook".into(),
                    explore: "users".into(),
                    fields: strings(&["users.name", "users.count"]),
                },
            ],
            dashboards: vec![
                FakeDashboard {
                    id: "1".into(),
                    title: "Sales overview".into(),
                    folder_id: "3".into(),
                    elements: vec![
                        tile(
                            "1",
                            "Orders",
                            "thelook",
                            "orders",
                            &["orders.status", "orders.count"],
                        ),
                        tile(
                            "2",
                            "Top customers",
                            "thelook",
                            "orders",
                            &["users.name", "orders.total_amount"],
                        ),
                    ],
                },
                FakeDashboard {
                    id: "2".into(),
                    title: "User directory".into(),
                    folder_id: "1".into(),
                    elements: vec![tile(
                        "3",
                        "Users",
                        "thelook",
                        "users",
                        &["users.id", "users.email"],
                    )],
                },
            ],
            imports: Vec::new(),
        }
    }

    /// A wide project for benchmarks, the same for the same arguments: project and model
    /// `synthetic`; explores `explore_0000`, ... each over its own view `view_0000`, ... holding
    /// `dimensions_per_explore` dimensions (the first, `id`, its primary key) and a `count`
    /// measure, and joining the shared view `accounts` (2 dimensions); one data test and one look
    /// per explore; folders of ten explores under `Shared`, each with a dashboard.
    pub fn synthetic(explores: usize, dimensions_per_explore: usize, seed: u64) -> FakeProject {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut account_id = FakeField::new("accounts.id", "number", "${TABLE}.id");
        account_id.primary_key = true;
        let mut views = vec![FakeView {
            name: "accounts".into(),
            sql_table_name: "analytics.accounts".into(),
            file: "views/accounts.view.lkml".into(),
            dimensions: vec![
                account_id,
                FakeField {
                    line: 7,
                    ..FakeField::new("accounts.name", "string", "${TABLE}.name")
                },
            ],
            measures: vec![FakeField {
                line: 11,
                ..FakeField::new("accounts.count", "count", "")
            }],
            ..FakeView::default()
        }];
        let mut model = FakeModel {
            name: "synthetic".into(),
            connection: "analytics".into(),
            file: "synthetic.model.lkml".into(),
            ..FakeModel::default()
        };
        let mut project = FakeProject {
            name: "synthetic".into(),
            folders: vec![folder("1", "Shared", None), folder("2", "Users", None)],
            ..FakeProject::default()
        };
        const TYPES: [&str; 4] = ["string", "number", "date", "yesno"];
        for i in 0..explores {
            let view = format!("view_{i:04}");
            let explore = format!("explore_{i:04}");
            let file = format!("views/{view}.view.lkml");
            let mut dimensions = Vec::with_capacity(dimensions_per_explore);
            for j in 0..dimensions_per_explore {
                let line = 3 + 4 * u32::try_from(j).unwrap_or(u32::MAX / 8);
                let mut dim = if j == 0 {
                    let mut id = FakeField::new(&format!("{view}.id"), "number", "${TABLE}.id");
                    id.primary_key = true;
                    id
                } else {
                    let field_type = TYPES[rng.usize(..TYPES.len())];
                    FakeField::new(
                        &format!("{view}.dim_{j:04}"),
                        field_type,
                        &format!("${{TABLE}}.col_{j:04}"),
                    )
                };
                dim.line = line;
                dim.hidden = j > 0 && rng.u8(..20) == 0;
                if rng.u8(..10) == 0 {
                    dim.tags = strings(&["pii"]);
                }
                dimensions.push(dim);
            }
            let count_line = 3 + 4 * u32::try_from(dimensions_per_explore).unwrap_or(0);
            views.push(FakeView {
                name: view.clone(),
                sql_table_name: format!("analytics.table_{i:04}"),
                file: file.clone(),
                dimensions,
                measures: vec![FakeField {
                    line: count_line,
                    ..FakeField::new(&format!("{view}.count"), "count", "")
                }],
                ..FakeView::default()
            });
            let line = 3 + 6 * u32::try_from(i).unwrap_or(0);
            model.explores.push(FakeExplore {
                name: explore.clone(),
                view_name: Some(view.clone()),
                joins: vec![FakeJoin {
                    name: "accounts".into(),
                    sql_on: format!("${{{view}.id}} = ${{accounts.id}}"),
                    ..FakeJoin::default()
                }],
                file: model.file.clone(),
                line,
                ..FakeExplore::default()
            });
            project.data_tests.push(FakeDataTest {
                name: format!("{explore}_has_ids"),
                model: "synthetic".into(),
                explore: explore.clone(),
                file: format!("tests/{explore}.lkml"),
                line: 1,
                fields: vec![format!("{view}.id")],
                ..FakeDataTest::default()
            });
            let group = i / 10;
            let folder_id = format!("{}", 100 + group);
            if i % 10 == 0 {
                project
                    .folders
                    .push(folder(&folder_id, &format!("Area {group}"), Some("1")));
                project.dashboards.push(FakeDashboard {
                    id: format!("{}", group + 1),
                    title: format!("Area {group} overview"),
                    folder_id: folder_id.clone(),
                    elements: Vec::new(),
                });
            }
            let mut fields: Vec<String> = views
                .last()
                .map(|v| {
                    v.dimensions
                        .iter()
                        .take(3)
                        .map(|d| d.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            fields.push(format!("{view}.count"));
            project.looks.push(FakeLook {
                id: format!("{}", i + 1),
                title: format!("{explore} summary"),
                folder_id,
                model: "synthetic".into(),
                explore: explore.clone(),
                fields: fields.clone(),
            });
            if let Some(dashboard) = project.dashboards.last_mut() {
                dashboard.elements.push(FakeDashboardElement {
                    id: format!("{}", i + 1),
                    title: explore.clone(),
                    model: "synthetic".into(),
                    explore,
                    fields,
                });
            }
        }
        project.models = vec![model];
        project.views = views;
        project
    }
}
