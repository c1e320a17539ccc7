//! The fuzzing corpus in the test command: every file of `fuzz/corpus/<target>/` (seeds and the
//! inputs that once made a parser panic) is replayed through its entry point, then a bounded
//! number of seeded mutations of the corpus are run through it, on the stable toolchain. None may
//! panic. Deep, coverage-guided runs are `cargo +nightly fuzz run <target>` (docs/development.md).
//!
//! `LOOKER_CI_FUZZ_CASES` sets the mutations per target (default 20,000; 0 replays only),
//! `LOOKER_CI_FUZZ_SEED` the seed (default fixed, so a run is repeatable). A panicking input is
//! written to `target/fuzz-failures/<target>/` and named in the failure.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use looker_ci_api::fuzzing::targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The corpus of `target`, sorted by file name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Run `input` through `run`; on a panic, keep the input and say where it is.
fn check(target: &str, run: fn(&[u8]), input: &[u8], origin: &str) -> Result<(), String> {
    if catch_unwind(AssertUnwindSafe(|| run(input))).is_ok() {
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/fuzz-failures")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("crash-{:016x}", fnv1a(input));
    std::fs::write(dir.join(&name), input).unwrap();
    Err(format!(
        "{target}: {origin} panicked; the input is {}: fix the parser and add the file to \
         fuzz/corpus/{target}/",
        dir.join(name).display()
    ))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn every_target_has_a_seed_corpus_and_a_cargo_fuzz_target() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let names: BTreeSet<&str> = targets().iter().map(|(name, _)| *name).collect();
    assert_eq!(names.len(), targets().len(), "target names are unique");
    for name in &names {
        assert!(
            !corpus(name).is_empty(),
            "fuzz/corpus/{name}/ holds no seed"
        );
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        assert!(
            text.contains(&format!("fuzzing::{name}(")),
            "{} does not call the entry point {name}",
            source.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
    // No corpus or cargo-fuzz target is left behind by a renamed or removed entry point.
    for sub in ["corpus", "fuzz_targets"] {
        for entry in std::fs::read_dir(fuzz_dir().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                names.contains(stem.as_str()),
                "{} belongs to no entry point",
                path.display()
            );
        }
    }
}

#[test]
fn the_committed_corpus_replays_without_a_panic() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, run) in targets() {
        for (name, input) in corpus(target) {
            replayed += 1;
            if let Err(e) = check(target, run, &input, &format!("corpus file {name}")) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("replayed {replayed} corpus files");
}

/// Byte sequences that parsers treat specially: delimiters, escapes, numbers at and past the
/// limits of their types, multi-byte characters.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b":",
    b";",
    b"#",
    b".",
    b"..",
    b"<",
    b"</",
    b">",
    b"&amp;",
    b"&lt",
    b"\n",
    b"\r\n",
    b" ",
    b"-1",
    b"0",
    b"1e999",
    b"1e20",
    b"-0.0",
    b"4294967296",
    b"18446744073709551616",
    b"9223372036854775807",
    b"99999999999999999999999",
    b"NaN",
    b"null",
    b"[]",
    b"{}",
    b"true",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x92\xa5",
    b"\xff",
    b"%2e",
    b"http://",
    b"https://[::1]:0/",
    b"Thu, 01 Jan 1970 00:00:00 GMT",
    b"Fri, 31 Dec 9999 23:59:59 GMT",
];

/// One random change of `input`; `other` is another corpus file of the same target, for splicing.
fn mutate_once(rng: &mut fastrand::Rng, input: &mut Vec<u8>, other: &[u8]) {
    let at = |rng: &mut fastrand::Rng, len: usize| rng.usize(..=len);
    match rng.u8(..8) {
        0 if !input.is_empty() => {
            let i = rng.usize(..input.len());
            input[i] ^= 1 << rng.u8(..8);
        }
        1 if !input.is_empty() => {
            let i = rng.usize(..input.len());
            input[i] = rng.u8(..);
        }
        2 | 3 => {
            let token = TOKENS[rng.usize(..TOKENS.len())];
            let i = at(rng, input.len());
            input.splice(i..i, token.iter().copied());
        }
        4 if !input.is_empty() => {
            let start = rng.usize(..input.len());
            let end = (start + 1 + rng.usize(..16)).min(input.len());
            input.drain(start..end);
        }
        5 if !input.is_empty() => {
            let start = rng.usize(..input.len());
            let end = (start + 1 + rng.usize(..32)).min(input.len());
            let chunk = input[start..end].to_vec();
            let i = at(rng, input.len());
            input.splice(i..i, chunk);
        }
        6 if !other.is_empty() => {
            // Splice: a prefix of this input, a suffix of the other.
            let keep = at(rng, input.len());
            let from = rng.usize(..other.len());
            input.truncate(keep);
            input.extend_from_slice(&other[from..]);
        }
        7 => {
            let keep = at(rng, input.len());
            input.truncate(keep);
        }
        _ => input.push(rng.u8(..)),
    }
}

#[test]
fn mutations_of_the_corpus_never_panic() {
    let cases: usize = std::env::var("LOOKER_CI_FUZZ_CASES")
        .ok()
        .map(|v| v.parse().expect("LOOKER_CI_FUZZ_CASES is a number"))
        .unwrap_or(20_000);
    let seed: u64 = std::env::var("LOOKER_CI_FUZZ_SEED")
        .ok()
        .map(|v| v.parse().expect("LOOKER_CI_FUZZ_SEED is a number"))
        .unwrap_or(0x100c_e2c1);
    let mut failures = Vec::new();
    for (target, run) in targets() {
        let seeds: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, b)| b).collect();
        let mut rng = fastrand::Rng::with_seed(seed ^ fnv1a(target.as_bytes()));
        for case in 0..cases {
            let mut input = seeds[rng.usize(..seeds.len())].clone();
            let other = &seeds[rng.usize(..seeds.len())];
            for _ in 0..1 + rng.usize(..4) {
                mutate_once(&mut rng, &mut input, other);
            }
            let origin = format!("mutation {case} (seed {seed})");
            if let Err(e) = check(target, run, &input, &origin) {
                failures.push(e);
                break; // one input per target is enough to act on
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
