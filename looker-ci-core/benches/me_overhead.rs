//! Per-call overhead of `LookerClient::me()` against a bare `reqwest` GET + JSON decode, both
//! against the same FakeLooker on loopback. Prints a Markdown table for `docs/benchmarks.md`.
//!
//! Run: `cargo bench -p looker-ci-core --bench me_overhead --features testing`

use std::time::{Duration, Instant};

use looker_ci_core::testing::FakeLooker;
use looker_ci_core::{ExposeSecret, LookerClient};

const CONCURRENT_TASKS: u32 = 64;
const ROUNDS: usize = 5;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs this file without it, and then
/// a short smoke run checks that the benchmark still works.
fn sizes() -> (u32, u32) {
    if std::env::args().any(|a| a == "--bench") {
        (20_000, 500)
    } else {
        (50, 2)
    }
}

async fn bare_token(http: &reqwest::Client, fake: &FakeLooker) -> String {
    let form = [
        ("client_id", fake.client_id()),
        (
            "client_secret",
            fake.client_secret().expose_secret().to_owned(),
        ),
    ];
    let body = serde_urlencoded::to_string(form).unwrap();
    let reply: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{}/api/4.0/login", fake.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    reply["access_token"].as_str().unwrap().to_owned()
}

async fn bare_me(http: &reqwest::Client, url: &str, auth: &str) -> serde_json::Value {
    let bytes = http
        .get(url)
        .header("authorization", auth)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (sequential_calls, concurrent_calls_per_task) = sizes();
    let fake = FakeLooker::start().await.unwrap();
    let client = LookerClient::new(fake.settings()).unwrap();
    let http = reqwest::Client::new();
    let auth = format!("Bearer {}", bare_token(&http, &fake).await);
    let url = format!("{}/api/4.0/user", fake.base_url());
    // Warm both connection pools and the client's token.
    for _ in 0..sequential_calls.min(500) {
        client.me_json().await.unwrap();
        bare_me(&http, &url, &auth).await;
    }

    let (mut ours_seq, mut bare_seq, mut ours_par, mut bare_par) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..sequential_calls {
            std::hint::black_box(client.me_json().await.unwrap());
        }
        ours_seq.push(t.elapsed() / sequential_calls);

        let t = Instant::now();
        for _ in 0..sequential_calls {
            std::hint::black_box(bare_me(&http, &url, &auth).await);
        }
        bare_seq.push(t.elapsed() / sequential_calls);

        let total = CONCURRENT_TASKS * concurrent_calls_per_task;
        let t = Instant::now();
        let tasks: Vec<_> = (0..CONCURRENT_TASKS)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    for _ in 0..concurrent_calls_per_task {
                        std::hint::black_box(client.me_json().await.unwrap());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        ours_par.push(t.elapsed() / total);

        let t = Instant::now();
        let tasks: Vec<_> = (0..CONCURRENT_TASKS)
            .map(|_| {
                let (http, url, auth) = (http.clone(), url.clone(), auth.clone());
                tokio::spawn(async move {
                    for _ in 0..concurrent_calls_per_task {
                        std::hint::black_box(bare_me(&http, &url, &auth).await);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        bare_par.push(t.elapsed() / total);
    }
    client.close().await.unwrap();

    let row = |name: &str, ours: Duration, bare: Duration| {
        println!(
            "| {name} | {:.1} µs | {:.1} µs | {:.3} |",
            ours.as_secs_f64() * 1e6,
            bare.as_secs_f64() * 1e6,
            ours.as_secs_f64() / bare.as_secs_f64()
        );
    };
    println!("| scenario | `LookerClient::me()` per call | bare reqwest per call | ratio |");
    println!("|---|---|---|---|");
    row(
        &format!("sequential, {sequential_calls} calls"),
        median(ours_seq),
        median(bare_seq),
    );
    row(
        &format!("{CONCURRENT_TASKS} tasks x {concurrent_calls_per_task} calls"),
        median(ours_par),
        median(bare_par),
    );
    println!(
        "\nmedian of {ROUNDS} rounds; FakeLooker counted {} logins",
        fake.counters().logins
    );
}
