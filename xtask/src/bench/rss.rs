//! The RSS of the local cloud's processes, from `/proc`: moto, the daemon, and the daemon's other children (the
//! function instances), for `cargo xtask bench soak`.

use std::fs;

use serde::Serialize;

use crate::local::LocalCloud;

/// The RSS of the local cloud's processes at one point, in KiB.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub at: String,
    pub moto_kib: u64,
    pub daemon_kib: u64,
    /// All function instances together.
    pub functions_kib: u64,
    pub function_instances: usize,
}

/// The RSS of moto, the daemon and its other children (the function instances) now.
pub fn sample(cloud: &LocalCloud, at: &str) -> Sample {
    let functions: Vec<u64> = children(cloud.pid)
        .into_iter()
        .filter(|&pid| pid != cloud.moto_pid)
        .filter_map(rss_kib)
        .collect();
    Sample {
        at: at.to_owned(),
        moto_kib: rss_kib(cloud.moto_pid).unwrap_or(0),
        daemon_kib: rss_kib(cloud.pid).unwrap_or(0),
        functions_kib: functions.iter().sum(),
        function_instances: functions.len(),
    }
}

/// `VmRSS` of `/proc/<pid>/status`, in KiB (`None`: the process is gone).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The pids whose parent is `parent` (from `/proc/<pid>/stat`).
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_of(&stat))
                == Some(parent)
        })
        .collect()
}

/// The parent pid in a `/proc/<pid>/stat` line: the field after the state, after the command's `)`.
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_parent_pids_as_proc_writes_them() {
        let status = "Name:\tpython\nVmPeak:\t  500 kB\nVmRSS:\t  279272 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vm_rss(status), Some(279_272));
        assert_eq!(parse_vm_rss("Name:\tkthreadd\n"), None);
        assert_eq!(
            parent_of("4078 (python (moto) x) S 4071 4071 1 0 -1"),
            Some(4071)
        );
        assert_eq!(parent_of("garbage"), None);
        // This process is a child of its parent, as /proc says.
        let me = std::process::id();
        let parent = std::os::unix::process::parent_id();
        assert!(children(parent).contains(&me));
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
    }
}
