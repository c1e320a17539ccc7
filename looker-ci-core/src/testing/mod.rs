//! Test support (feature `testing`): [`FakeLooker`], a local Looker emulator.

mod fake_looker;
mod state;
mod world;

pub use fake_looker::FakeLooker;
pub use state::{FakeCounters, Fault};
