//! The platform lines Lambda writes around a function's own output (INIT_START, START, END, REPORT, timeouts
//! and crashes), in AWS's wording, and the per-function memory of recent lines behind `LogType: Tail`.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, PoisonError},
    time::Duration,
};

use super::capture::LogLine;

/// Lines kept per function for [`RecentLogs::lines`].
const RECENT_LINES: usize = 1000;
/// `LogType: Tail` returns the last 4 KB of the invocation's log.
pub const TAIL_BYTES: usize = 4096;

/// What the REPORT line says about one invocation.
#[derive(Debug, Clone)]
pub struct Report {
    pub request_id: String,
    pub duration: Duration,
    pub init_duration: Option<Duration>,
    pub memory_size_mb: u32,
    pub max_memory_kib: Option<u64>,
    /// `None` for success, else (`timeout` | `error`, error type).
    pub status: Option<(&'static str, String)>,
}

pub fn init_start(runtime: &str) -> LogLine {
    LogLine::now(format!(
        "INIT_START Runtime Version: {}.local",
        runtime.replacen('.', ":", 1)
    ))
}

/// `INIT_REPORT` of a failed init (AWS writes it when init fails or times out).
pub fn init_report(init_duration: Duration, status: &str, error_type: &str) -> LogLine {
    LogLine::now(format!(
        "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: {status}\tError Type: {error_type}",
        millis(init_duration)
    ))
}

pub fn start(request_id: &str, version: &str) -> LogLine {
    LogLine::now(format!("START RequestId: {request_id} Version: {version}"))
}

pub fn end(request_id: &str) -> LogLine {
    LogLine::now(format!("END RequestId: {request_id}"))
}

pub fn report(report: &Report) -> LogLine {
    let duration = millis(report.duration);
    let init = report.init_duration.map(millis);
    // Provided runtimes are billed for init too.
    let billed = (duration + init.unwrap_or(0.0)).ceil().max(1.0) as u64;
    let used_mb = report
        .max_memory_kib
        .map(|kib| kib.div_ceil(1024))
        .unwrap_or(0);
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {used_mb} MB",
        report.request_id, report.memory_size_mb
    );
    if let Some(init) = init {
        line.push_str(&format!("\tInit Duration: {init:.2} ms"));
    }
    if let Some((status, error_type)) = &report.status {
        line.push_str(&format!("\tStatus: {status}"));
        if !error_type.is_empty() {
            line.push_str(&format!("\tError Type: {error_type}"));
        }
    }
    LogLine::now(line)
}

/// `<timestamp> <request id> Task timed out after N.NN seconds`.
pub fn timed_out(request_id: &str, timeout: Duration) -> LogLine {
    LogLine::now(format!(
        "{} {request_id} Task timed out after {:.2} seconds",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        timeout.as_secs_f64()
    ))
}

/// The line Lambda writes when the runtime died or failed: `RequestId: <id> Error: <message>` and the type.
pub fn runtime_failure(request_id: &str, message: &str, error_type: &str) -> LogLine {
    LogLine::now(format!(
        "RequestId: {request_id} Error: {message}\n{error_type}"
    ))
}

/// The last [`TAIL_BYTES`] of `lines` joined by newlines, cut at a character boundary.
pub fn tail(lines: &[String]) -> String {
    let mut joined = lines.join("\n");
    joined.push('\n');
    if joined.len() <= TAIL_BYTES {
        return joined;
    }
    let mut cut = joined.len() - TAIL_BYTES;
    while !joined.is_char_boundary(cut) {
        cut += 1;
    }
    joined.split_off(cut)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The most recent log lines of every function, for `LogType: Tail` and `local logs`.
#[derive(Default)]
pub struct RecentLogs {
    by_function: Mutex<HashMap<String, VecDeque<String>>>,
}

impl RecentLogs {
    pub fn record(&self, function: &str, lines: &[LogLine]) {
        let mut all = self
            .by_function
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let recent = all.entry(function.to_owned()).or_default();
        for line in lines {
            if recent.len() == RECENT_LINES {
                recent.pop_front();
            }
            recent.push_back(line.message.clone());
        }
    }

    /// Up to the last 1000 lines of `function` (its name), oldest first.
    pub fn lines(&self, function: &str) -> Vec<String> {
        let all = self
            .by_function
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        all.get(function)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_has_aws_fields_and_init_duration_on_cold_start() {
        let line = report(&Report {
            request_id: "abc".into(),
            duration: Duration::from_micros(1500),
            init_duration: Some(Duration::from_micros(2250)),
            memory_size_mb: 128,
            max_memory_kib: Some(2049),
            status: None,
        });
        assert_eq!(
            line.message,
            "REPORT RequestId: abc\tDuration: 1.50 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB\tInit Duration: 2.25 ms"
        );
    }

    #[test]
    fn report_line_carries_timeout_status() {
        let line = report(&Report {
            request_id: "abc".into(),
            duration: Duration::from_millis(1000),
            init_duration: None,
            memory_size_mb: 256,
            max_memory_kib: None,
            status: Some(("timeout", String::new())),
        });
        assert!(line.message.ends_with("Billed Duration: 1000 ms\tMemory Size: 256 MB\tMax Memory Used: 0 MB\tStatus: timeout"), "{}", line.message);
    }

    #[test]
    fn timeout_line_matches_aws() {
        let line = timed_out("id-1", Duration::from_secs(3));
        assert!(
            line.message
                .ends_with(" id-1 Task timed out after 3.00 seconds"),
            "{}",
            line.message
        );
    }

    #[test]
    fn tail_keeps_the_last_4_kb() {
        let lines: Vec<String> = (0..1000).map(|i| format!("line {i:04}")).collect();
        let tail = tail(&lines);
        assert_eq!(tail.len(), TAIL_BYTES);
        assert!(tail.ends_with("line 0999\n"));
        assert_eq!(super::tail(&["a".into(), "b".into()]), "a\nb\n");
    }

    #[test]
    fn init_start_names_the_runtime() {
        assert_eq!(
            init_start("provided.al2023").message,
            "INIT_START Runtime Version: provided:al2023.local"
        );
    }
}
