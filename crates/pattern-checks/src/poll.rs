//! The waits between polls through the AWS CLI: each call starts a Python process (about half a second of CPU),
//! so the wait grows from a quarter of a second to two seconds instead of polling at a fixed pace.

use std::time::{Duration, Instant};

const FIRST: Duration = Duration::from_millis(250);
const LONGEST: Duration = Duration::from_secs(2);

/// Doubling waits, from [`FIRST`] to at most [`LONGEST`].
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST }
    }
}

impl Backoff {
    /// The next wait; the one after it is twice as long, up to [`LONGEST`].
    fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(LONGEST);
        wait
    }

    /// Sleeps for the next wait, but not past `deadline` (so the last poll is made at it).
    pub fn wait_until(&mut self, deadline: Instant) {
        let wait = self.next_wait();
        std::thread::sleep(wait.min(deadline.saturating_duration_since(Instant::now())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_two_seconds() {
        let mut backoff = Backoff::default();
        let waits: Vec<u128> = (0..6).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 2000, 2000]);
    }
}
