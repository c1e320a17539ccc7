//! Native addon of the `looker-ci` npm package. It only converts: JS arguments to core calls,
//! core results to JS values, core errors to JS errors (see `lib/errors.js`).

mod client;
mod errors;
mod fake;
mod gate;
mod logging;
mod provider;
