//! Scripted faults and the request journal.
//!
//! Tests arm faults (through the library handle or the admin endpoint); the FE and BE
//! handlers consume them at fixed points of a request. Each armed fault fires for a given
//! number of matching requests and is then gone, so a test states exactly how many requests
//! misbehave. The journal records every request the FE and BE answer, in arrival order,
//! with its outcome, so tests can assert what a client actually sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One kind of misbehaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The BE fails the load without loading anything: with `http_status` other than 200 it
    /// answers that status with a plain-text body; with 200 it answers the Stream Load JSON
    /// with `status` (e.g. `Fail`) and `message`.
    FailLoad {
        #[serde(default = "default_http_status")]
        http_status: u16,
        #[serde(default = "default_fail_status")]
        status: String,
        #[serde(default)]
        message: String,
    },
    /// The FE waits this long before answering a `_stream_load` or transaction request.
    DelayRedirect {
        #[serde(with = "millis")]
        delay: Duration,
    },
    /// The BE waits this long before answering a load (after reading the body).
    DelayReply {
        #[serde(with = "millis")]
        delay: Duration,
    },
    /// The BE reads part of the body and then closes the connection without an answer.
    CloseMidBody,
    /// The FE redirects to a BE address where nothing listens.
    RedirectUnreachable,
    /// The BE commits the load but answers `Publish Timeout`; rows become visible after
    /// `visible_after`.
    PublishTimeout {
        #[serde(with = "millis")]
        visible_after: Duration,
    },
    /// The BE commits and publishes the load, then closes the connection without answering.
    DropReplyAfterCommit,
}

impl Fault {
    /// Faults the FE applies before it answers (the rest happen at the BE or at commit).
    pub fn at_fe(&self) -> bool {
        matches!(
            self,
            Fault::DelayRedirect { .. } | Fault::RedirectUnreachable
        )
    }

    /// Faults that happen when a load commits.
    pub fn at_commit(&self) -> bool {
        matches!(
            self,
            Fault::PublishTimeout { .. } | Fault::DropReplyAfterCommit
        )
    }
}

fn default_http_status() -> u16 {
    200
}

fn default_fail_status() -> String {
    "Fail".to_string()
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// An armed fault: fires for the next `remaining` matching requests (optionally only for one
/// table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmedFault {
    #[serde(flatten)]
    pub fault: Fault,
    #[serde(default = "one")]
    pub times: u32,
    /// Only requests for this table match; all do when absent.
    #[serde(default)]
    pub table: Option<String>,
}

fn one() -> u32 {
    1
}

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: u64,
    /// `fe0`, `be1`, …
    pub node: String,
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub label: Option<String>,
    /// Request headers, lower-case names; `authorization` is redacted.
    pub headers: BTreeMap<String, String>,
    pub body_bytes: u64,
    /// What the emulator did: `307 <location>`, the Stream Load status, `401`, `dropped`, …
    pub outcome: String,
}

#[derive(Debug, Default)]
struct Inner {
    armed: Vec<ArmedFault>,
    journal: Vec<JournalEntry>,
    seq: u64,
}

/// Armed faults and the journal, shared by every node.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn arm(&self, fault: ArmedFault) {
        if fault.times > 0 {
            self.lock().armed.push(fault);
        }
    }

    pub fn clear(&self) {
        self.lock().armed.clear();
    }

    pub fn armed(&self) -> Vec<ArmedFault> {
        self.lock().armed.clone()
    }

    /// Takes one firing of the first armed fault that `accept` takes at this point of a
    /// request, for this table.
    pub fn take(&self, table: &str, accept: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut inner = self.lock();
        let pos = inner
            .armed
            .iter()
            .position(|a| accept(&a.fault) && a.table.as_deref().is_none_or(|t| t == table))?;
        let armed = &mut inner.armed[pos];
        let fault = armed.fault.clone();
        armed.times -= 1;
        if armed.times == 0 {
            inner.armed.remove(pos);
        }
        Some(fault)
    }

    pub fn record(&self, mut entry: JournalEntry) {
        let mut inner = self.lock();
        inner.seq += 1;
        entry.seq = inner.seq;
        inner.journal.push(entry);
    }

    pub fn journal(&self) -> Vec<JournalEntry> {
        self.lock().journal.clone()
    }

    pub fn clear_journal(&self) {
        self.lock().journal.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_fault_fires_exactly_its_count_for_matching_tables() {
        let faults = Faults::default();
        faults.arm(ArmedFault {
            fault: Fault::CloseMidBody,
            times: 2,
            table: Some("t1".into()),
        });
        let any = |_: &Fault| true;
        assert_eq!(faults.take("t2", any), None);
        assert_eq!(faults.take("t1", |f| f.at_fe()), None);
        assert_eq!(faults.take("t1", any), Some(Fault::CloseMidBody));
        assert_eq!(faults.take("t1", any), Some(Fault::CloseMidBody));
        assert_eq!(faults.take("t1", any), None);
    }

    #[test]
    fn faults_read_from_admin_json() {
        let armed: ArmedFault = serde_json::from_str(
            r#"{"kind":"fail_load","times":3,"http_status":500,"message":"boom"}"#,
        )
        .unwrap();
        assert_eq!(armed.times, 3);
        assert_eq!(
            armed.fault,
            Fault::FailLoad {
                http_status: 500,
                status: "Fail".into(),
                message: "boom".into()
            }
        );
        let delay: ArmedFault =
            serde_json::from_str(r#"{"kind":"delay_redirect","delay":1500}"#).unwrap();
        assert_eq!(
            delay.fault,
            Fault::DelayRedirect {
                delay: Duration::from_millis(1500)
            }
        );
        assert_eq!(delay.times, 1);
    }
}
