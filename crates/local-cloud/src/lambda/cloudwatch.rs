//! Ships function logs to CloudWatch Logs (moto) off the invocation path: one background task receives each
//! invocation's lines, creates the log group and stream on first use (as Lambda does) and puts them in batches.

use std::{
    collections::HashSet,
    sync::{Mutex, PoisonError},
};

use aws_sdk_cloudwatchlogs::{Client, types::InputLogEvent};
use tokio::sync::{mpsc, oneshot};

use super::capture::LogLine;

/// PutLogEvents limits: events per call and bytes per call (each event counts 26 bytes more than its text).
const MAX_EVENTS: usize = 10_000;
const MAX_BATCH_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;
/// How long the shipper waits for more lines before a PutLogEvents call.
const LINGER: std::time::Duration = std::time::Duration::from_millis(200);

enum Message {
    Lines {
        group: String,
        stream: String,
        lines: Vec<LogLine>,
    },
    Flush(oneshot::Sender<()>),
}

/// The handle of the shipping task (started on first use, inside the caller's tokio runtime).
pub struct LogShipper {
    client: Client,
    sender: Mutex<Option<mpsc::UnboundedSender<Message>>>,
}

impl LogShipper {
    pub fn new(client: Client) -> LogShipper {
        LogShipper {
            client,
            sender: Mutex::new(None),
        }
    }

    /// Queues `lines` for `group`/`stream`; returns at once.
    pub fn ship(&self, group: &str, stream: &str, lines: Vec<LogLine>) {
        if lines.is_empty() {
            return;
        }
        self.send(Message::Lines {
            group: group.to_owned(),
            stream: stream.to_owned(),
            lines,
        });
    }

    /// Waits until everything queued before this call has been put (or failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        self.send(Message::Flush(done));
        let _ = wait.await;
    }

    fn send(&self, message: Message) {
        let mut sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = sender.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(self.client.clone(), rx));
            tx
        });
        if let Err(mpsc::error::SendError(message)) = tx.send(message) {
            // The task died (its runtime ended): start a new one.
            let (new_tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(self.client.clone(), rx));
            let _ = new_tx.send(message);
            *tx = new_tx;
        }
    }
}

async fn run(client: Client, mut rx: mpsc::UnboundedReceiver<Message>) {
    let mut known = Known::default();
    while let Some(first) = rx.recv().await {
        // Linger briefly, then take everything queued, so a burst of invocations becomes one call per stream
        // and moto (single-threaded Python, sharing the machine's cores) is not asked once per invocation.
        if !matches!(first, Message::Flush(_)) {
            tokio::time::sleep(LINGER).await;
        }
        let mut messages = vec![first];
        while let Ok(more) = rx.try_recv() {
            messages.push(more);
        }
        let mut batches: Vec<(String, String, Vec<LogLine>)> = Vec::new();
        let mut flushed = Vec::new();
        for message in messages {
            match message {
                Message::Lines {
                    group,
                    stream,
                    lines,
                } => {
                    match batches
                        .iter_mut()
                        .find(|(g, s, _)| *g == group && *s == stream)
                    {
                        Some((_, _, existing)) => existing.extend(lines),
                        None => batches.push((group, stream, lines)),
                    }
                }
                Message::Flush(done) => flushed.push(done),
            }
        }
        for (group, stream, mut lines) in batches {
            lines.sort_by_key(|l| l.timestamp_ms);
            if let Err(e) = put(&client, &mut known, &group, &stream, &lines).await {
                tracing::warn!(error = %format!("{e:#}"), %group, %stream, "could not write Lambda logs to CloudWatch Logs");
            }
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}

/// Log groups and streams known to exist.
#[derive(Default)]
struct Known {
    groups: HashSet<String>,
    streams: HashSet<(String, String)>,
}

async fn put(
    client: &Client,
    known: &mut Known,
    group: &str,
    stream: &str,
    lines: &[LogLine],
) -> anyhow::Result<()> {
    match put_once(client, known, group, stream, lines).await {
        Err(Put::Missing(_)) => {
            // The group or stream was deleted behind our back (a destroy): create it again, once.
            known.groups.remove(group);
            known.streams.remove(&(group.to_owned(), stream.to_owned()));
            put_once(client, known, group, stream, lines)
                .await
                .map_err(Put::into_error)
        }
        other => other.map_err(Put::into_error),
    }
}

enum Put {
    Missing(anyhow::Error),
    Failed(anyhow::Error),
}

impl Put {
    fn into_error(self) -> anyhow::Error {
        match self {
            Put::Missing(e) | Put::Failed(e) => e,
        }
    }
}

async fn put_once(
    client: &Client,
    known: &mut Known,
    group: &str,
    stream: &str,
    lines: &[LogLine],
) -> Result<(), Put> {
    ensure_stream(client, known, group, stream)
        .await
        .map_err(Put::Failed)?;
    for chunk in chunks(lines) {
        let events = chunk
            .iter()
            .map(|l| {
                InputLogEvent::builder()
                    .timestamp(l.timestamp_ms)
                    .message(if l.message.is_empty() {
                        " "
                    } else {
                        &l.message
                    })
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Put::Failed(e.into()))?;
        let sent = client
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await;
        if let Err(e) = sent {
            let missing = e
                .as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception());
            let error = anyhow::Error::new(e).context(format!("PutLogEvents {group} {stream}"));
            return Err(if missing {
                Put::Missing(error)
            } else {
                Put::Failed(error)
            });
        }
    }
    Ok(())
}

async fn ensure_stream(
    client: &Client,
    known: &mut Known,
    group: &str,
    stream: &str,
) -> anyhow::Result<()> {
    if !known.groups.contains(group) {
        match client.create_log_group().log_group_name(group).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("CreateLogGroup {group}"))),
        }
        known.groups.insert(group.to_owned());
    }
    let key = (group.to_owned(), stream.to_owned());
    if !known.streams.contains(&key) {
        match client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) => {}
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("CreateLogStream {group} {stream}"))
                );
            }
        }
        known.streams.insert(key);
    }
    Ok(())
}

/// Splits `lines` into PutLogEvents-sized batches.
fn chunks(lines: &[LogLine]) -> Vec<&[LogLine]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, line) in lines.iter().enumerate() {
        let size = line.message.len() + EVENT_OVERHEAD;
        if i > start && (i - start == MAX_EVENTS || bytes + size > MAX_BATCH_BYTES) {
            out.push(&lines[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < lines.len() {
        out.push(&lines[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_count_and_size_limits() {
        let many: Vec<LogLine> = (0..25_000)
            .map(|i| LogLine {
                timestamp_ms: i,
                message: "x".into(),
            })
            .collect();
        let sizes: Vec<usize> = chunks(&many).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![10_000, 10_000, 5_000]);

        let big: Vec<LogLine> = (0..10)
            .map(|i| LogLine {
                timestamp_ms: i,
                message: "y".repeat(200_000),
            })
            .collect();
        let sizes: Vec<usize> = chunks(&big).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![5, 5]);
        assert!(chunks(&[]).is_empty());
    }
}
