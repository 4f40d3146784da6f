//! Ctrl-C and SIGTERM for the commands that change state (deploy, destroy, test, local up/down): the first lets
//! the running step reach a consistent point and the command clean up what it created; the second stops at once.
//!
//! The first signal is passed on once to the children registered as [`Forward::Yes`] (`terraform apply`, in its
//! own process group so a terminal's Ctrl-C reaches it only this way: terraform's graceful stop wants exactly
//! one); cleanup steps ([`Forward::No`]) run on. The second kills every registered process group (terraform and
//! its provider plugins with it), removes this process's deployment locks, prints what may be left with the
//! command that removes it, and exits 130.

use std::{
    path::PathBuf,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};

/// Whether the first interrupt is passed on to a child.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Forward {
    /// A step that stops cleanly on SIGINT (terraform apply): it gets the first Ctrl-C.
    Yes,
    /// A cleanup step: it runs to its end unless a second Ctrl-C comes.
    No,
}

/// The error of a command stopped by an interrupt (`main` exits 130 on it).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

static COUNT: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
struct Registry {
    /// Process groups of running children, with whether they get the first interrupt.
    groups: Vec<(i32, Forward)>,
    /// Deployment locks this process holds (removed on a hard stop, when no destructor runs).
    locks: Vec<PathBuf>,
    /// What a hard stop may leave, and the command that removes it (set by the step that creates things).
    leftover_hint: Option<String>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    groups: Vec::new(),
    locks: Vec::new(),
    leftover_hint: None,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    // An error means a handler is installed already (tests install it from several threads).
    let _ = ctrlc::set_handler(on_signal);
}

fn on_signal() {
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    let mut reg = registry();
    if n == 1 {
        eprintln!(
            "\ninterrupted: letting the current step stop cleanly, then cleaning up (Ctrl-C again stops at once)"
        );
        for (group, forward) in &reg.groups {
            if *forward == Forward::Yes {
                let _ = killpg(Pid::from_raw(*group), Signal::SIGINT);
            }
        }
        return;
    }
    for (group, _) in &reg.groups {
        let _ = killpg(Pid::from_raw(*group), Signal::SIGKILL);
    }
    for lock in reg.locks.drain(..) {
        let _ = std::fs::remove_file(lock);
    }
    match reg.leftover_hint.take() {
        Some(hint) => eprintln!("\nstopped at once: {hint}"),
        None => eprintln!("\nstopped at once"),
    }
    std::process::exit(130);
}

/// Whether an interrupt came.
pub fn requested() -> bool {
    COUNT.load(Ordering::SeqCst) > 0
}

/// `Err(Interrupted)` once an interrupt came: called between steps.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Whether `err` (or its cause) is an interrupt.
pub fn is_interrupt(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<Interrupted>())
}

/// A registered child process group; unregistered on drop.
pub struct Group(i32);

/// Registers the process group `group` (a child started with `process_group(0)`: its pid).
pub fn track_group(group: u32, forward: Forward) -> Group {
    let group = group as i32;
    registry().groups.push((group, forward));
    // An interrupt that came while the child was starting is passed on now.
    if forward == Forward::Yes && requested() {
        let _ = killpg(Pid::from_raw(group), Signal::SIGINT);
    }
    Group(group)
}

impl Drop for Group {
    fn drop(&mut self) {
        registry().groups.retain(|(g, _)| *g != self.0);
    }
}

/// Registers a lock file for removal on a hard stop.
pub fn track_lock(path: PathBuf) {
    registry().locks.push(path);
}

/// Forgets a lock file (released normally).
pub fn untrack_lock(path: &std::path::Path) {
    registry().locks.retain(|p| p != path);
}

/// What a hard stop from now on may leave (`None`: nothing).
pub fn set_leftover_hint(hint: Option<String>) {
    registry().leftover_hint = hint;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_is_found_through_context() {
        let err = anyhow::Error::new(Interrupted).context("deploying p");
        assert!(is_interrupt(&err));
        assert!(!is_interrupt(&anyhow::anyhow!("interrupted")));
    }
}
