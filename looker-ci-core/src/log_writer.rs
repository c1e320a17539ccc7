//! A log writer that never blocks and never panics, for the bindings and tools that print the
//! core's log lines to stderr.
//!
//! Why: stderr of a CI job is a pipe whose reader can be slow, and Node makes it non-blocking.
//! Writing to it from a Tokio worker either stalls the runtime (a blocking fd) or fails with
//! `EAGAIN` (a non-blocking one), and `tracing-subscriber` reports a failed write with
//! `eprintln!`, which panics when stderr fails. Here a line is handed to a bounded queue and a
//! dedicated thread writes it; when the queue is full the line is dropped and counted, and the
//! count is reported once writing works again. No caller ever waits on the sink.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Lines queued before new ones are dropped.
const QUEUE_LINES: usize = 4096;
/// How long the writer thread keeps retrying one line on a full non-blocking pipe.
const RETRY_FOR: Duration = Duration::from_millis(500);
const RETRY_EVERY: Duration = Duration::from_millis(5);

/// A cloneable `io::Write` whose writes are queued for a background thread (see the module doc).
/// Use one per process for stderr: [`NonBlockingWriter::stderr`].
#[derive(Clone)]
pub struct NonBlockingWriter {
    queue: Option<SyncSender<Vec<u8>>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for NonBlockingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonBlockingWriter")
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl NonBlockingWriter {
    /// The process-wide writer to stderr (one background thread, started on first use).
    pub fn stderr() -> NonBlockingWriter {
        static STDERR: OnceLock<NonBlockingWriter> = OnceLock::new();
        STDERR
            .get_or_init(|| NonBlockingWriter::new(io::stderr(), QUEUE_LINES))
            .clone()
    }

    /// A writer to `sink` that queues up to `capacity` lines. If the thread cannot be started,
    /// every line is dropped (and counted) rather than written from the caller's thread.
    pub fn new(sink: impl Write + Send + 'static, capacity: usize) -> NonBlockingWriter {
        let (sender, receiver) = sync_channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let thread_dropped = Arc::clone(&dropped);
        let started = std::thread::Builder::new()
            .name("looker-ci-log".into())
            .spawn(move || drain(receiver, sink, &thread_dropped))
            .is_ok();
        NonBlockingWriter {
            queue: started.then_some(sender),
            dropped,
        }
    }

    /// Lines dropped so far (queue full, or the sink failed).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Write for NonBlockingWriter {
    /// Queues `buf` (tracing's formatter writes one whole event per call); never blocks and
    /// never fails: a line that does not fit is dropped and counted.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let queued = match &self.queue {
            Some(queue) => match queue.try_send(buf.to_vec()) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !queued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The background thread: write each line, retrying a full non-blocking pipe for a bounded time.
fn drain(receiver: Receiver<Vec<u8>>, mut sink: impl Write, dropped: &AtomicU64) {
    let mut reported = 0u64;
    while let Ok(line) = receiver.recv() {
        let lost = dropped.load(Ordering::Relaxed);
        if lost > reported {
            let note = format!("[looker-ci] {} log lines dropped\n", lost - reported);
            if write_line(&mut sink, note.as_bytes()) {
                reported = lost;
            }
        }
        if !write_line(&mut sink, &line) {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Write one line; `false` when the sink kept refusing it.
fn write_line(sink: &mut impl Write, mut line: &[u8]) -> bool {
    let deadline = Instant::now() + RETRY_FOR;
    while !line.is_empty() {
        match sink.write(line) {
            Ok(0) => return false,
            Ok(n) => line = &line[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(RETRY_EVERY);
            }
            Err(_) => return false,
        }
    }
    let _ = sink.flush();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink that records lines, or fails with `fail` while it is set.
    #[derive(Clone, Default)]
    struct Sink {
        lines: Arc<Mutex<Vec<u8>>>,
        fail: Arc<Mutex<Option<io::ErrorKind>>>,
        gate: Arc<Mutex<()>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _gate = self.gate.lock().unwrap();
            if let Some(kind) = *self.fail.lock().unwrap() {
                return Err(io::Error::from(kind));
            }
            self.lines.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn wait_for(what: impl Fn() -> bool) {
        for _ in 0..400 {
            if what() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("condition not reached");
    }

    #[test]
    fn a_failing_sink_never_fails_or_panics_the_writer_and_drops_are_reported() {
        let sink = Sink::default();
        *sink.fail.lock().unwrap() = Some(io::ErrorKind::BrokenPipe);
        let mut writer = NonBlockingWriter::new(sink.clone(), 16);
        for _ in 0..100 {
            assert_eq!(writer.write(b"line\n").unwrap(), 5);
        }
        wait_for(|| writer.dropped() == 100);
        *sink.fail.lock().unwrap() = None;
        writer.write_all(b"back\n").unwrap();
        wait_for(|| sink.lines.lock().unwrap().ends_with(b"back\n"));
        let text = String::from_utf8(sink.lines.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "[looker-ci] 100 log lines dropped\nback\n");
    }

    #[test]
    fn a_stalled_sink_never_blocks_the_caller() {
        let sink = Sink::default();
        let stalled = sink.gate.lock().unwrap();
        let mut writer = NonBlockingWriter::new(sink.clone(), 8);
        // The thread holds one line in the stalled write; 8 more fit in the queue.
        for _ in 0..1000 {
            writer.write_all(b"x\n").unwrap();
        }
        assert!(writer.dropped() >= 1000 - 9, "{} dropped", writer.dropped());
        drop(stalled);
        writer.write_all(b"after\n").unwrap();
        wait_for(|| {
            String::from_utf8_lossy(&sink.lines.lock().unwrap()).contains("log lines dropped")
        });
    }

    #[test]
    fn a_full_non_blocking_pipe_is_retried_for_a_while() {
        let sink = Sink::default();
        *sink.fail.lock().unwrap() = Some(io::ErrorKind::WouldBlock);
        let mut writer = NonBlockingWriter::new(sink.clone(), 8);
        writer.write_all(b"kept\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        *sink.fail.lock().unwrap() = None;
        wait_for(|| sink.lines.lock().unwrap().as_slice() == b"kept\n");
        assert_eq!(writer.dropped(), 0);
    }
}
