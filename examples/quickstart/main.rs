//! looker-ci quickstart: log in, call `me()` from many concurrent tasks across a token expiry,
//! log out, and print a short summary. With `LOOKERSDK_BASE_URL` (or `./looker.ini`) set it runs
//! against that Looker instance; otherwise against an embedded FakeLooker.
//!
//! Run: `cargo run -p looker-ci-examples` (set `RUST_LOG=debug` to see what happens; no secret
//! is ever printed).

use std::time::{Duration, Instant};

use looker_ci_api::prelude::*;
use looker_ci_api::testing::FakeLooker;
use looker_ci_api::{LookerClient, Result};

const TASKS: usize = 64;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run().await {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn looker_configured() -> bool {
    std::env::var_os("LOOKERSDK_BASE_URL").is_some_and(|v| !v.is_empty())
        || std::path::Path::new("looker.ini").exists()
}

async fn run() -> Result<u64> {
    // Keep the FakeLooker alive for the whole run; `None` when a real Looker is configured.
    let (client, fake, duration) = if looker_configured() {
        println!("looker-ci quickstart against the configured Looker instance");
        (LookerClient::from_env()?, None, Duration::from_secs(3))
    } else {
        let fake = FakeLooker::start().await?;
        // Short tokens so the run crosses two expiries.
        fake.set_token_lifetime(Duration::from_secs(2));
        println!(
            "looker-ci quickstart against an embedded FakeLooker at {} (no LOOKERSDK_BASE_URL set)",
            fake.base_url()
        );
        let client = LookerClient::new(fake.settings())?;
        (client, Some(fake), Duration::from_millis(4500))
    };

    let me = client.me().await?;
    println!(
        "  logged in as: {} (user id {})",
        me.display_name.as_deref().unwrap_or("?"),
        me.id.as_deref().unwrap_or("?")
    );

    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u64, 0u64);
                while started.elapsed() < duration {
                    match client.me().await {
                        Ok(_) => ok += 1,
                        Err(e) => {
                            failed += 1;
                            eprintln!("  call failed: {e}");
                        }
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let (mut calls, mut errors) = (0u64, 0u64);
    for task in tasks {
        let (ok, failed) = task.await.unwrap_or((0, 1));
        calls += ok;
        errors += failed;
    }
    let elapsed = started.elapsed();
    client.close().await?;
    let stats = client.stats();
    println!(
        "  {calls} me() calls from {TASKS} concurrent tasks in {:.1}s, {errors} errors",
        elapsed.as_secs_f64()
    );
    println!(
        "  logins: {} (one per token lifetime), re-authentications after 401: {}",
        stats.logins, stats.reauthentications
    );
    if let Some(fake) = &fake {
        let seen = fake.counters();
        println!(
            "  FakeLooker saw {} logins, {} logouts, {} requests, {} live tokens left",
            seen.logins,
            seen.logouts,
            seen.requests,
            fake.live_tokens()
        );
    }
    println!("  logged out: yes");
    Ok(errors)
}
