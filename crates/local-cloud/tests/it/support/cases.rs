//! The cases of a scenario: each runs on its own task (or, blocking, its own thread), so a failed assertion
//! fails its case and the scenario goes on with the next; [`Cases::finish`] then fails the test, naming every
//! failed case. A scenario sets up once (one deployment) and hands its cases a shared context; cases that
//! depend on an earlier one run after it, in the order the scenario writes them.

use std::{any::Any, future::Future, sync::Arc};

/// The cases of one scenario, sharing a context `T` (what the scenario set up).
pub struct Cases<T> {
    ctx: Arc<T>,
    ran: usize,
    failed: Vec<String>,
    finished: bool,
}

impl<T: Send + Sync + 'static> Cases<T> {
    pub fn new(ctx: T) -> Cases<T> {
        Cases {
            ctx: Arc::new(ctx),
            ran: 0,
            failed: Vec::new(),
            finished: false,
        }
    }

    /// Runs `case` on its own tokio task, so that its panic comes back as a `JoinError`; prints
    /// `case <name>: ok|FAILED`. Returns whether it passed.
    pub async fn case<F, Fut>(&mut self, name: &str, case: F) -> bool
    where
        F: FnOnce(Arc<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(case(self.ctx.clone())).await.map_err(|e| {
            if e.is_panic() {
                panic_message(e.into_panic())
            } else {
                e.to_string()
            }
        });
        self.record(name, outcome)
    }

    /// Runs a blocking `case` on its own thread (it may borrow from the scenario), so that its panic comes
    /// back from `join`; prints `case <name>: ok|FAILED`. Returns whether it passed.
    pub fn blocking<F>(&mut self, name: &str, case: F) -> bool
    where
        F: FnOnce(&T) + Send,
    {
        let ctx = &*self.ctx;
        let outcome = std::thread::scope(|scope| scope.spawn(move || case(ctx)).join())
            .map_err(panic_message);
        self.record(name, outcome)
    }

    /// Whether every case so far passed.
    pub fn all_passed(&self) -> bool {
        self.failed.is_empty()
    }

    /// Fails the test if a case failed, listing each failed case by name.
    pub fn finish(mut self) {
        self.finished = true;
        assert!(
            self.failed.is_empty(),
            "{} of {} cases failed:\n{}",
            self.failed.len(),
            self.ran,
            self.failed.join("\n")
        );
    }

    fn record(&mut self, name: &str, outcome: Result<(), String>) -> bool {
        self.ran += 1;
        match outcome {
            Ok(()) => {
                println!("case {name}: ok");
                true
            }
            Err(message) => {
                println!("case {name}: FAILED");
                self.failed.push(format!("  case {name}: {message}"));
                false
            }
        }
    }
}

impl<T> Drop for Cases<T> {
    fn drop(&mut self) {
        if !self.finished && !self.failed.is_empty() && !std::thread::panicking() {
            panic!(
                "cases failed, but the scenario never called `finish`:\n{}",
                self.failed.join("\n")
            );
        }
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".to_owned())
}
