//! The peers the test command starts (moto, the OpenID provider, Prism). A test asks for its
//! peer here: inside the test command (`LOOKER_CI_TEST_COMMAND` is set) a missing peer fails the
//! test; run alone, the test returns early and says on stderr that it was skipped, naming the
//! peer. The test binaries that use a peer carry it in their name (`aws_with_moto`, ...).

/// The value of `variable`, or `None` (and a "skipped" line) outside the test command.
pub fn require(peer: &str, variable: &str) -> Option<String> {
    if let Some(value) = std::env::var(variable).ok().filter(|v| !v.is_empty()) {
        return Some(value);
    }
    let reason = format!("needs the {peer} peer ({variable}), which scripts/test-rust starts");
    if std::env::var_os("LOOKER_CI_TEST_COMMAND").is_some() {
        panic!("{reason}");
    }
    eprintln!("skipped: {reason}");
    None
}
