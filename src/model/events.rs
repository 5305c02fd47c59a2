//! Pipeline events and the channel they travel on.
//!
//! Events are small: rows never travel here; the pipeline writes them to
//! SQLite and readers re-query. The channel is bounded and coalescing, so a
//! fast crawl cannot flood a slow reader (the TUI, a pipe): progress and
//! page events of the same phase replace the one still queued, and when the
//! queue is full, page events, warnings and dead-letter notices are dropped
//! (counted). Lifecycle events (job and phase start and finish, drift
//! alerts, pause and resume) are never dropped; there are only a handful per
//! job, so they cannot grow the queue without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{Delta, JobMode, JobStatus, Phase, PhaseStatus};

/// What the pipeline tells its listeners. `--events jsonl` prints these, one
/// JSON object per line, tagged by `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PipelineEvent {
    JobStarted {
        job_id: i64,
        kind: String,
        mode: JobMode,
        /// True when this process continues an earlier, unfinished run.
        resumed: bool,
    },
    PhaseStarted {
        job_id: i64,
        phase: Phase,
    },
    Progress {
        job_id: i64,
        phase: Phase,
        done: u64,
        total: Option<u64>,
        message: Option<String>,
    },
    /// One fetched URL (status 304 for a conditional hit).
    PageFetched {
        job_id: i64,
        url: String,
        status: u16,
        delta: Delta,
    },
    /// A URL given up on after its retries; the job goes on.
    DeadLetter {
        job_id: i64,
        url: String,
        status: Option<u16>,
        error: String,
    },
    /// MONITOR found a listing whose structure changed.
    DriftAlert {
        job_id: i64,
        association: Option<String>,
        url: String,
        summary: String,
    },
    Warning {
        job_id: Option<i64>,
        message: String,
    },
    PhaseFinished {
        job_id: i64,
        phase: Phase,
        status: PhaseStatus,
        /// One sentence for people.
        summary: String,
        stats: serde_json::Value,
    },
    JobPaused {
        job_id: i64,
    },
    JobResumed {
        job_id: i64,
    },
    JobFinished {
        job_id: i64,
        status: JobStatus,
        error: Option<String>,
    },
    /// A domain or search result became a company to analyse.
    LeadGenerated {
        job_id: i64,
        company_id: i64,
        domain: String,
        name: String,
        /// `list:<file>` or `search:<provider>`.
        source: String,
        /// The search query that found it (prospecting).
        query: Option<String>,
    },
    LeadEnrichmentStart {
        job_id: i64,
        company_id: i64,
        domain: Option<String>,
    },
    LeadEnrichmentEnd {
        job_id: i64,
        company_id: i64,
        /// Kinds with findings: firmographic, techstack, contacts.
        found: Vec<String>,
        contacts: usize,
        /// Why the site could not be read, when it could not.
        error: Option<String>,
    },
    /// A sentence on where a domain-list or prospecting run stands.
    StatusUpdate {
        job_id: i64,
        message: String,
    },
    /// The pipeline's last word before `job_finished` when it ended well.
    PipelineEnd {
        job_id: i64,
        status: JobStatus,
        summary: String,
    },
    /// The pipeline's last word before `job_finished` when it failed.
    PipelineError {
        job_id: i64,
        error: String,
    },
}

impl PipelineEvent {
    /// Events that may be replaced by a newer one with the same key.
    fn coalesce_key(&self) -> Option<(u8, i64, Option<Phase>)> {
        match self {
            PipelineEvent::Progress { job_id, phase, .. } => Some((0, *job_id, Some(*phase))),
            PipelineEvent::PageFetched { job_id, .. } => Some((1, *job_id, None)),
            _ => None,
        }
    }

    /// Events that may be dropped when the queue is full.
    fn droppable(&self) -> bool {
        matches!(
            self,
            PipelineEvent::Progress { .. }
                | PipelineEvent::PageFetched { .. }
                | PipelineEvent::Warning { .. }
                | PipelineEvent::DeadLetter { .. }
                | PipelineEvent::LeadGenerated { .. }
                | PipelineEvent::LeadEnrichmentStart { .. }
                | PipelineEvent::LeadEnrichmentEnd { .. }
        )
    }
}

struct BusState {
    queue: VecDeque<PipelineEvent>,
    /// Sequence number of `queue[0]`.
    front_seq: u64,
    /// Coalescing key -> sequence number of the queued event with that key.
    keyed: HashMap<(u8, i64, Option<Phase>), u64>,
    dropped: u64,
    coalesced: u64,
    closed: bool,
}

struct Bus {
    state: Mutex<BusState>,
    notify: Notify,
    senders: AtomicUsize,
    capacity: usize,
}

impl Bus {
    fn lock(&self) -> std::sync::MutexGuard<'_, BusState> {
        // The state is a queue of plain values; a panic elsewhere cannot
        // leave it half-updated in a way that matters.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, ev: PipelineEvent) {
        let mut st = self.lock();
        if let Some(key) = ev.coalesce_key()
            && let Some(&seq) = st.keyed.get(&key)
            && seq >= st.front_seq
        {
            let i = (seq - st.front_seq) as usize;
            st.queue[i] = ev;
            st.coalesced += 1;
            return;
        }
        if st.queue.len() >= self.capacity && ev.droppable() {
            st.dropped += 1;
            return;
        }
        let seq = st.front_seq + st.queue.len() as u64;
        if let Some(key) = ev.coalesce_key() {
            st.keyed.insert(key, seq);
        }
        st.queue.push_back(ev);
        drop(st);
        self.notify.notify_one();
    }

    /// The next event, or whether the channel is closed. `closed` is read
    /// first: an event sent before the last sender left is then always
    /// found by the pop that follows.
    fn pop_or_closed(&self) -> Result<PipelineEvent, bool> {
        let closed = self.lock().closed;
        self.pop().ok_or(closed)
    }

    fn pop(&self) -> Option<PipelineEvent> {
        let mut st = self.lock();
        let ev = st.queue.pop_front()?;
        let seq = st.front_seq;
        st.front_seq += 1;
        if let Some(key) = ev.coalesce_key()
            && st.keyed.get(&key) == Some(&seq)
        {
            st.keyed.remove(&key);
        }
        Some(ev)
    }
}

/// The sending side. Cheap to clone; `EventSender::none()` (the default)
/// sends nowhere, for runs nobody watches.
#[derive(Default)]
pub struct EventSender(Option<Arc<Bus>>);

impl EventSender {
    pub fn none() -> Self {
        Self(None)
    }

    /// Queues an event; never blocks and never fails (a reader that went
    /// away is not the pipeline's problem).
    pub fn emit(&self, ev: PipelineEvent) {
        if let Some(bus) = &self.0 {
            bus.push(ev);
        }
    }
}

impl Clone for EventSender {
    fn clone(&self) -> Self {
        if let Some(bus) = &self.0 {
            bus.senders.fetch_add(1, Ordering::SeqCst);
        }
        Self(self.0.clone())
    }
}

impl Drop for EventSender {
    fn drop(&mut self) {
        if let Some(bus) = &self.0
            && bus.senders.fetch_sub(1, Ordering::SeqCst) == 1
        {
            bus.lock().closed = true;
            bus.notify.notify_one();
        }
    }
}

impl std::fmt::Debug for EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "EventSender"
        } else {
            "EventSender(none)"
        })
    }
}

/// The receiving side: events in the order they were sent (a coalesced
/// event keeps the place of the one it replaced).
pub struct EventReceiver(Arc<Bus>);

impl EventReceiver {
    /// The next event; `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<PipelineEvent> {
        loop {
            let notified = self.0.notify.notified();
            match self.0.pop_or_closed() {
                Ok(ev) => return Some(ev),
                Err(true) => return None,
                Err(false) => notified.await,
            }
        }
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<PipelineEvent> {
        self.0.pop()
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.0.lock().dropped
    }

    /// Events merged into a newer one of the same kind.
    pub fn coalesced(&self) -> u64 {
        self.0.lock().coalesced
    }
}

/// A bounded, coalescing channel holding at most about `capacity` events.
pub fn event_channel(capacity: usize) -> (EventSender, EventReceiver) {
    let bus = Arc::new(Bus {
        state: Mutex::new(BusState {
            queue: VecDeque::new(),
            front_seq: 0,
            keyed: HashMap::new(),
            dropped: 0,
            coalesced: 0,
            closed: false,
        }),
        notify: Notify::new(),
        senders: AtomicUsize::new(1),
        capacity: capacity.max(1),
    });
    (EventSender(Some(bus.clone())), EventReceiver(bus))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(phase: Phase, done: u64) -> PipelineEvent {
        PipelineEvent::Progress {
            job_id: 1,
            phase,
            done,
            total: None,
            message: None,
        }
    }

    fn drain(rx: &mut EventReceiver) -> Vec<PipelineEvent> {
        std::iter::from_fn(|| rx.try_recv()).collect()
    }

    #[test]
    fn a_flood_of_progress_coalesces_to_the_latest() {
        let (tx, mut rx) = event_channel(16);
        tx.emit(PipelineEvent::PhaseStarted {
            job_id: 1,
            phase: Phase::Discovery,
        });
        for i in 0..100_000 {
            tx.emit(progress(Phase::Discovery, i));
        }
        tx.emit(PipelineEvent::PhaseFinished {
            job_id: 1,
            phase: Phase::Discovery,
            status: PhaseStatus::Completed,
            summary: String::new(),
            stats: serde_json::Value::Null,
        });
        let got = drain(&mut rx);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(got[0], PipelineEvent::PhaseStarted { .. }));
        assert_eq!(got[1], progress(Phase::Discovery, 99_999));
        assert!(matches!(got[2], PipelineEvent::PhaseFinished { .. }));
        assert_eq!(rx.coalesced(), 99_999);
    }

    #[test]
    fn full_queue_drops_noise_but_never_lifecycle_events() {
        let (tx, mut rx) = event_channel(4);
        for i in 0..50 {
            tx.emit(PipelineEvent::Warning {
                job_id: Some(1),
                message: format!("w{i}"),
            });
        }
        for phase in Phase::ALL {
            tx.emit(PipelineEvent::PhaseStarted { job_id: 1, phase });
        }
        let got = drain(&mut rx);
        let started = got
            .iter()
            .filter(|e| matches!(e, PipelineEvent::PhaseStarted { .. }))
            .count();
        assert_eq!(started, 11);
        assert_eq!(got.len(), 4 + 11);
        assert_eq!(rx.dropped(), 46);
    }

    #[test]
    fn coalescing_keeps_phases_apart_and_order_of_first_sight() {
        let (tx, mut rx) = event_channel(64);
        tx.emit(progress(Phase::Discovery, 1));
        tx.emit(progress(Phase::Extraction, 1));
        tx.emit(progress(Phase::Discovery, 2));
        let got = drain(&mut rx);
        assert_eq!(
            got,
            vec![
                progress(Phase::Discovery, 2),
                progress(Phase::Extraction, 1)
            ]
        );
        // Once consumed, a new progress event queues afresh.
        tx.emit(progress(Phase::Discovery, 3));
        assert_eq!(drain(&mut rx), vec![progress(Phase::Discovery, 3)]);
    }

    #[tokio::test]
    async fn receiver_ends_when_the_last_sender_drops() {
        let (tx, mut rx) = event_channel(8);
        let tx2 = tx.clone();
        let task = tokio::spawn(async move {
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        });
        tx.emit(progress(Phase::Init, 0));
        drop(tx);
        tx2.emit(PipelineEvent::JobPaused { job_id: 1 });
        drop(tx2);
        assert_eq!(task.await.unwrap(), 2);
    }
}
