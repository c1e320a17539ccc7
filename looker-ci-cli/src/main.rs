//! `looker-ci`: the CI gate for Looker. The implementation is `looker_ci_core::cli`, shared with
//! `python -m looker_ci` and `npx looker-ci`.

fn main() -> std::process::ExitCode {
    let code = looker_ci_core::cli::run(std::env::args_os().collect());
    std::process::ExitCode::from(code)
}
