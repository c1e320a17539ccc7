//! Test support (feature `testing`): [`FakeLooker`], a local Looker emulator, and
//! [`FakeProject`], the LookML project it serves, described as data.

mod arguments;
mod content;
mod controls;
mod errors;
mod fake_looker;
mod fields;
mod fixtures;
mod git;
mod lookml;
mod png;
mod project;
mod query_tasks;
mod reply;
mod roles;
mod schedules;
mod state;
mod warehouse;
mod world;

pub use arguments::{project_from_json, project_from_json_text, project_to_json, seconds};
pub use errors::error_samples;
pub use fake_looker::FakeLooker;
pub use project::{
    FakeDashboard, FakeDashboardElement, FakeDataTest, FakeExplore, FakeField, FakeFolder,
    FakeImport, FakeJoin, FakeLook, FakeLookmlError, FakeModel, FakeProject, FakeView,
    FakeWorldError,
};
pub use query_tasks::WarehouseCounters;
pub use roles::{ALL_PERMISSIONS, FakeRole};
pub use state::{FakeCounters, Fault};
