//! Line capture of an instance's stdout and stderr. Reader tasks collect lines as they arrive, and
//! [`OutputCapture::take_lines`] drains whatever is already in the pipes without waiting, so every line a function
//! wrote before it posted its response is attributed to that invocation.

use std::{
    io::ErrorKind,
    os::fd::AsRawFd,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::{net::unix::pipe, task::JoinHandle};

/// A line longer than this is split (CloudWatch Logs takes at most 256 KiB per event).
const MAX_LINE_BYTES: usize = 256 * 1024 - 64;
/// Lines kept when nobody takes them (an idle instance that keeps printing).
const MAX_BUFFERED_LINES: usize = 10_000;

/// One line of function output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Unix epoch milliseconds at which we read it.
    pub timestamp_ms: i64,
    pub message: String,
}

impl LogLine {
    pub fn now(message: impl Into<String>) -> LogLine {
        LogLine {
            timestamp_ms: chrono::Utc::now().timestamp_millis(),
            message: message.into(),
        }
    }
}

/// Captures the lines of a set of pipes (stdout and stderr of one process).
pub struct OutputCapture {
    inner: Arc<Inner>,
    readers: Vec<JoinHandle<()>>,
}

struct Inner {
    label: String,
    pipes: Vec<pipe::Receiver>,
    state: Mutex<State>,
}

struct State {
    partial: Vec<Vec<u8>>,
    lines: Vec<LogLine>,
}

impl OutputCapture {
    /// Starts reading `pipes`; `label` names the function in `tracing` output.
    pub fn start(label: String, pipes: Vec<pipe::Receiver>) -> OutputCapture {
        let count = pipes.len();
        let inner = Arc::new(Inner {
            label,
            pipes,
            state: Mutex::new(State {
                partial: vec![Vec::new(); count],
                lines: Vec::new(),
            }),
        });
        let readers = (0..count)
            .map(|index| {
                let inner = inner.clone();
                tokio::spawn(async move {
                    loop {
                        if inner.pipes[index].readable().await.is_err() {
                            break;
                        }
                        if inner.drain(index, Read::Reactor) {
                            break;
                        }
                    }
                })
            })
            .collect();
        OutputCapture { inner, readers }
    }

    /// Every complete line read so far, including what is sitting in the pipes right now.
    pub fn take_lines(&self) -> Vec<LogLine> {
        for index in 0..self.inner.pipes.len() {
            self.inner.drain(index, Read::Direct);
        }
        std::mem::take(&mut lock(&self.inner.state).lines)
    }

    /// Waits until every pipe reached end of file (the process and its children exited), at most `limit`.
    pub async fn wait_closed(&mut self, limit: std::time::Duration) {
        let readers = std::mem::take(&mut self.readers);
        let all = async {
            for reader in readers {
                let _ = reader.await;
            }
        };
        let _ = tokio::time::timeout(limit, all).await;
    }
}

impl Drop for OutputCapture {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// How [`Inner::drain`] reads a pipe.
#[derive(Clone, Copy)]
enum Read {
    /// Through tokio's readiness (the reader tasks): a `WouldBlock` clears it, so the task sleeps until new data.
    Reactor,
    /// read(2) on the non-blocking descriptor, whatever tokio last saw: tokio's cached readiness can say "not
    /// ready" while bytes wait (the reactor has not polled since they arrived), and [`OutputCapture::take_lines`]
    /// must see every byte written before it was called.
    Direct,
}

impl Inner {
    /// Reads what is available on pipe `index` without blocking; true at end of file.
    fn drain(&self, index: usize, how: Read) -> bool {
        let mut state = lock(&self.state);
        let mut buf = [0u8; 16 * 1024];
        let pipe = &self.pipes[index];
        loop {
            let result = match how {
                Read::Reactor => pipe.try_io(|| read_now(pipe, &mut buf)),
                Read::Direct => read_now(pipe, &mut buf),
            };
            match result {
                Ok(0) => {
                    let rest = std::mem::take(&mut state.partial[index]);
                    if !rest.is_empty() {
                        self.push(&mut state, &rest);
                    }
                    return true;
                }
                Ok(n) => {
                    state.partial[index].extend_from_slice(&buf[..n]);
                    self.split(&mut state, index);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::debug!(error = %e, function = %self.label, "output pipe read failed");
                    return true;
                }
            }
        }
    }

    fn split(&self, state: &mut State, index: usize) {
        loop {
            let partial = &state.partial[index];
            let cut = match partial.iter().position(|b| *b == b'\n') {
                Some(pos) => Some((pos, pos + 1)),
                None if partial.len() >= MAX_LINE_BYTES => Some((MAX_LINE_BYTES, MAX_LINE_BYTES)),
                None => None,
            };
            let Some((end, consumed)) = cut else { return };
            let line: Vec<u8> = state.partial[index].drain(..consumed).take(end).collect();
            self.push(state, &line);
        }
    }

    fn push(&self, state: &mut State, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let message = String::from_utf8_lossy(raw).into_owned();
        tracing::debug!(target: "lambda::function", function = %self.label, "{message}");
        if state.lines.len() >= MAX_BUFFERED_LINES {
            state.lines.remove(0);
        }
        state.lines.push(LogLine::now(message));
    }
}

/// One read(2) of a non-blocking pipe (tokio made it non-blocking when it registered it).
fn read_now(pipe: &pipe::Receiver, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: the descriptor stays open while `pipe` is borrowed, and `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::read(pipe.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
