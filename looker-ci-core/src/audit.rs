//! The audit trail: one JSON line per Looker request (time, method, path template with its ids,
//! status, Looker's request id, duration), a header per run that says who ran it (the CI run,
//! the credential source, the AWS role and session name, the CI token's non-secret claims) and a
//! line per login naming the Looker user. Written straight to the file, record by record, so a
//! job killed mid-way still leaves everything up to its last request; bounded in size.
//!
//! Never written: tokens, secrets, request or reply bodies, query strings, header values. Path
//! parameters whose name says they hold a token are replaced by `[REDACTED]`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The environment variable that turns the audit trail on for clients built from the
/// environment: the file to append to.
pub const ENV_AUDIT_FILE: &str = "LOOKER_CI_AUDIT_FILE";

/// The file name the `looker-ci` command writes in CI when no `--audit` file is named.
pub const DEFAULT_CI_FILE: &str = "looker-ci-audit.jsonl";

/// Default bound of an audit file: enough for a few hundred thousand requests.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Version of the record format, in every run header.
pub const FORMAT_VERSION: u32 = 1;

/// An append-only audit file shared by every clone of a client.
#[derive(Debug)]
pub struct AuditTrail {
    path: PathBuf,
    /// Tells the runs in one file apart (a job may run several commands into one file).
    run_id: String,
    max_bytes: u64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    file: Option<File>,
    size: u64,
    requests: u64,
    dropped: u64,
    /// The run's header, written just before the run's first record (a client replaced before
    /// its first request leaves nothing behind).
    header: Option<Map<String, Value>>,
}

impl AuditTrail {
    /// Append to `path` (created if missing, owner-only on Unix), at most
    /// [`DEFAULT_MAX_BYTES`].
    pub fn open(path: impl Into<PathBuf>) -> Result<AuditTrail> {
        Self::open_bounded(path, DEFAULT_MAX_BYTES)
    }

    /// As [`AuditTrail::open`], stopping (with a last record saying so) once the file would pass
    /// `max_bytes`.
    pub fn open_bounded(path: impl Into<PathBuf>, max_bytes: u64) -> Result<AuditTrail> {
        let path = path.into();
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let cannot = |e: std::io::Error| {
            Error::config(
                "audit_file",
                path.display().to_string(),
                format!("cannot be opened for appending: {e}"),
            )
        };
        let file = options.open(&path).map_err(cannot)?;
        let size = file.metadata().map_err(cannot)?.len();
        let run_id = (0..12).map(|_| fastrand::alphanumeric()).collect();
        Ok(AuditTrail {
            path,
            run_id,
            max_bytes,
            state: Mutex::new(State {
                file: Some(file),
                size,
                requests: 0,
                dropped: 0,
                header: None,
            }),
        })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id every record of this run carries.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Requests recorded so far.
    pub fn requests(&self) -> u64 {
        self.state.lock().map(|s| s.requests).unwrap_or(0)
    }

    /// The run's header: who is running, from where, with which identity. Written before the
    /// run's first record.
    pub(crate) fn run_started(&self, identity: Value) {
        let mut record = Map::new();
        record.insert("format_version".into(), FORMAT_VERSION.into());
        record.insert("looker_ci_version".into(), env!("CARGO_PKG_VERSION").into());
        if let Value::Object(fields) = identity {
            record.extend(fields);
        }
        if let Ok(mut state) = self.state.lock() {
            state.header = Some(record);
        }
    }

    /// One request that reached (or tried to reach) Looker.
    pub(crate) fn request(&self, request: RequestRecord<'_>) {
        let mut record = Map::new();
        record.insert("method".into(), request.method.into());
        match crate::api::match_request(request.method, request.path) {
            Some((op, values)) => {
                record.insert("path".into(), op.path.into());
                record.insert("operation".into(), op.id.into());
                let params: Map<String, Value> = values
                    .into_iter()
                    .map(|(name, value)| {
                        let value = if name.contains("token") {
                            "[REDACTED]".to_owned()
                        } else {
                            value
                        };
                        (name.to_owned(), value.into())
                    })
                    .collect();
                if !params.is_empty() {
                    record.insert("params".into(), params.into());
                }
            }
            None => {
                record.insert("path".into(), request.path.into());
            }
        }
        record.insert("status".into(), request.status.into());
        if let Some(error) = request.error {
            record.insert("error".into(), error.into());
        }
        if let Some(id) = request.request_id {
            record.insert("request_id".into(), id.into());
        }
        record.insert(
            "duration_ms".into(),
            (request.duration.as_secs_f64() * 1000.0).round().into(),
        );
        if request.attempt > 1 {
            record.insert("attempt".into(), request.attempt.into());
        }
        if let Ok(mut state) = self.state.lock() {
            state.requests += 1;
        }
        self.write("request", record);
    }

    /// A login: which Looker user the session acts as (`sudo` when impersonating).
    pub(crate) fn login(&self, looker_user_id: Option<&str>, sudo: bool, ttl: Option<Duration>) {
        let mut record = Map::new();
        record.insert("looker_user_id".into(), looker_user_id.into());
        record.insert("sudo".into(), sudo.into());
        record.insert("token_ttl_s".into(), ttl.map(|t| t.as_secs()).into());
        self.write("login", record);
    }

    /// The run's last record: how many requests it made and whether any record was dropped.
    pub fn finish(&self, outcome: &str) {
        let (requests, dropped) = self
            .state
            .lock()
            .map(|s| (s.requests, s.dropped))
            .unwrap_or_default();
        let mut record = Map::new();
        record.insert("outcome".into(), outcome.into());
        record.insert("requests".into(), requests.into());
        record.insert("records_dropped".into(), dropped.into());
        self.write("end", record);
    }

    fn write(&self, kind: &str, fields: Map<String, Value>) {
        let pending = self.state.lock().ok().and_then(|mut s| s.header.take());
        if let Some(header) = pending {
            self.write_line("run", header);
        }
        self.write_line(kind, fields);
    }

    fn write_line(&self, kind: &str, fields: Map<String, Value>) {
        let mut record = Map::new();
        record.insert("type".into(), kind.into());
        record.insert("time".into(), rfc3339(SystemTime::now()).into());
        record.insert("run_id".into(), self.run_id.clone().into());
        record.extend(fields);
        let mut line = Value::Object(record).to_string();
        line.push('\n');
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let State {
            file,
            size,
            dropped,
            ..
        } = &mut *state;
        let Some(open) = file.as_mut() else {
            *dropped += 1;
            return;
        };
        // Room is kept for the record that says the file is full.
        if *size + line.len() as u64 + 200 > self.max_bytes && kind != "end" {
            let full = json!({
                "type": "truncated",
                "time": rfc3339(SystemTime::now()),
                "run_id": self.run_id,
                "max_bytes": self.max_bytes,
            });
            let _ = writeln!(open, "{full}");
            tracing::warn!(path = %self.path.display(), max_bytes = self.max_bytes, "audit file is full; later requests are not recorded");
            *file = None;
            *dropped += 1;
            return;
        }
        // One write per record, no buffer: what was written survives a killed process.
        match open.write_all(line.as_bytes()) {
            Ok(()) => *size += line.len() as u64,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "audit file cannot be written; later requests are not recorded");
                *file = None;
                *dropped += 1;
            }
        }
    }
}

/// What the transport knows of one attempt of a request.
pub(crate) struct RequestRecord<'a> {
    pub method: &'a str,
    /// The path as sent, without `/api/4.0` and without its query.
    pub path: &'a str,
    pub status: Option<u16>,
    /// `timeout` or `connection` when no reply came.
    pub error: Option<&'static str>,
    pub request_id: Option<&'a str>,
    pub duration: Duration,
    pub attempt: u32,
}

/// `2026-12-01T21:40:00.123Z`: UTC with milliseconds.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (the era-based conversion: 400-year
/// eras of 146097 days, years starting in March so the leap day falls last).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T12:34:56.789Z: a leap day.
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_169_599);
        assert_eq!(rfc3339(t), "2026-12-01T23:59:59.000Z");
    }

    fn lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn requests_are_recorded_by_template_with_token_parameters_redacted() {
        let dir = std::env::temp_dir().join(format!("audit-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        let trail = AuditTrail::open(&path).unwrap();
        trail.run_started(json!({"identity": {"source": "settings"}}));
        let record = |method, path, status| RequestRecord {
            method,
            path,
            status,
            error: None,
            request_id: Some("req-1"),
            duration: Duration::from_millis(12),
            attempt: 1,
        };
        trail.request(record("GET", "/queries/42/run/json", Some(200)));
        trail.request(record(
            "DELETE",
            "/embed/cookieless_session/secret-session-ref",
            Some(204),
        ));
        trail.finish("ok");
        let records = lines(&path);
        assert_eq!(records.len(), 4);
        assert_eq!(records[0]["type"], "run");
        assert_eq!(records[0]["format_version"], 1);
        assert_eq!(
            records[1]["path"],
            "/queries/{query_id}/run/{result_format}"
        );
        assert_eq!(records[1]["params"]["query_id"], "42");
        assert_eq!(records[1]["request_id"], "req-1");
        assert_eq!(
            records[2]["params"]["session_reference_token"],
            "[REDACTED]"
        );
        assert_eq!(records[3]["requests"], 2);
        assert!(records.iter().all(|r| r["run_id"] == trail.run_id()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret-session-ref"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        // A second run appends to the same file.
        let again = AuditTrail::open(&path).unwrap();
        again.finish("ok");
        assert_eq!(lines(&path).len(), 5);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_full_file_says_so_and_stops_growing() {
        let dir = std::env::temp_dir().join(format!("audit-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        let trail = AuditTrail::open_bounded(&path, 2000).unwrap();
        for _ in 0..100 {
            trail.request(RequestRecord {
                method: "GET",
                path: "/user",
                status: Some(200),
                error: None,
                request_id: None,
                duration: Duration::from_millis(1),
                attempt: 1,
            });
        }
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 2000, "{size}");
        let records = lines(&path);
        assert_eq!(records.last().unwrap()["type"], "truncated");
        trail.finish("ok");
        assert_eq!(lines(&path).len(), records.len(), "nothing after truncated");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unwritable_place_is_a_typed_error_naming_the_file() {
        let err = AuditTrail::open("/nonexistent-dir/audit.jsonl").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("audit_file") && text.contains("/nonexistent-dir/audit.jsonl"),
            "{text}"
        );
    }
}
