//! The FEs: which is up, which leads, and the election after the leader goes down.
//!
//! StarRocks begins every load's transaction on the leader FE: a BE asks the leader (Thrift
//! `loadTxnBegin`) even for a plain `_stream_load` a follower redirected, and followers send
//! transaction calls and label-state queries to the leader with a 307
//! (`reference/stream-load-protocol.md` §2.1). When the leader dies, followers keep
//! redirecting to the address they knew (their cached leader) and BEs cannot begin
//! transactions, until the followers elect a new leader (BDB JE: seconds after a process dies,
//! about `bdbje_heartbeat_timeout_second` = 30 s after a host hangs). The new leader then
//! serves everything; an old leader that comes back is a follower.
//!
//! Here: FE 0 leads at start. Taking the leader down starts an election that, after
//! [`Frontends::election_delay`], makes the lowest-numbered FE that is up the leader; with no
//! FE up, the election waits for one to come back.
//!
//! Invariant: at most one leader, and it is up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

/// The default time from the leader going down to a follower leading.
pub const DEFAULT_ELECTION_DELAY: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Inner {
    leader: Option<usize>,
    /// The leader the followers knew last: where they redirect while none is elected.
    last_leader: usize,
    up: Vec<bool>,
    election_delay: Duration,
    /// Bumped by every change that starts an election; a pending election of an older term
    /// does nothing.
    term: u64,
}

/// The FE nodes of a cluster.
#[derive(Debug)]
pub struct Frontends {
    addrs: Vec<SocketAddr>,
    /// The switches the FE servers listen to: `false` closes the node's port.
    switches: Vec<watch::Sender<bool>>,
    inner: Mutex<Inner>,
    runtime: tokio::runtime::Handle,
}

impl Frontends {
    /// FEs at `addrs`, all up, the first leading. Elections run on `runtime`.
    pub fn new(
        addrs: Vec<SocketAddr>,
        switches: Vec<watch::Sender<bool>>,
        election_delay: Duration,
        runtime: tokio::runtime::Handle,
    ) -> Frontends {
        let n = addrs.len();
        Frontends {
            addrs,
            switches,
            inner: Mutex::new(Inner {
                leader: Some(0),
                last_leader: 0,
                up: vec![true; n],
                election_delay,
                term: 0,
            }),
            runtime,
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The leader, if one is elected.
    pub fn leader(&self) -> Option<usize> {
        self.inner().leader
    }

    pub fn is_leader(&self, fe: usize) -> bool {
        self.leader() == Some(fe)
    }

    /// Where a follower redirects what only the leader serves: the leader, or while none is
    /// elected, the leader it knew last (which is down, so the redirect leads nowhere).
    pub fn leader_addr(&self) -> SocketAddr {
        let inner = self.inner();
        self.addrs[inner.leader.unwrap_or(inner.last_leader)]
    }

    pub fn election_delay(&self) -> Duration {
        self.inner().election_delay
    }

    /// Sets how long elections take from now on.
    pub fn set_election_delay(&self, delay: Duration) {
        self.inner().election_delay = delay;
    }

    /// Takes FE `i` down or brings it back; false when there is no such FE. Taking the leader
    /// down starts an election; so does an FE coming back while there is no leader.
    pub fn set_up(self: &Arc<Self>, i: usize, up: bool) -> bool {
        let Some(switch) = self.switches.get(i) else {
            return false;
        };
        let mut inner = self.inner();
        inner.up[i] = up;
        switch.send_replace(up);
        let elect = match (up, inner.leader) {
            (false, Some(leader)) if leader == i => {
                inner.leader = None;
                inner.last_leader = i;
                true
            }
            (true, None) => true,
            _ => false,
        };
        if elect {
            inner.term += 1;
            let (term, delay) = (inner.term, inner.election_delay);
            let frontends = Arc::clone(self);
            self.runtime.spawn(async move {
                tokio::time::sleep(delay).await;
                frontends.elect(term);
            });
        }
        true
    }

    /// Ends the election of `term`: the lowest-numbered FE that is up leads.
    fn elect(&self, term: u64) {
        let mut inner = self.inner();
        if inner.term != term || inner.leader.is_some() {
            return;
        }
        inner.leader = inner.up.iter().position(|&up| up);
        if let Some(leader) = inner.leader {
            inner.last_leader = leader;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontends(n: usize, delay_ms: u64) -> (tokio::runtime::Runtime, Arc<Frontends>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let addrs = (0..n)
            .map(|i| SocketAddr::from(([127, 0, 0, 1], 8030 + i as u16)))
            .collect();
        let switches = (0..n).map(|_| watch::channel(true).0).collect();
        let f = Arc::new(Frontends::new(
            addrs,
            switches,
            Duration::from_millis(delay_ms),
            rt.handle().clone(),
        ));
        (rt, f)
    }

    fn settle(rt: &tokio::runtime::Runtime, ms: u64) {
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(ms)).await });
    }

    #[test]
    fn a_follower_leads_after_the_election_delay() {
        let (rt, f) = frontends(3, 50);
        assert_eq!(f.leader(), Some(0));
        assert!(f.set_up(0, false));
        assert_eq!(f.leader(), None);
        assert_eq!(
            f.leader_addr().port(),
            8030,
            "followers still point at the old leader"
        );
        settle(&rt, 100);
        assert_eq!(f.leader(), Some(1));
        assert_eq!(f.leader_addr().port(), 8031);
        // The old leader comes back as a follower.
        f.set_up(0, true);
        settle(&rt, 100);
        assert_eq!(f.leader(), Some(1));
    }

    #[test]
    fn with_every_fe_down_the_election_waits_for_one_to_come_back() {
        let (rt, f) = frontends(2, 20);
        f.set_up(1, false);
        assert_eq!(f.leader(), Some(0), "a follower going down changes nothing");
        f.set_up(0, false);
        settle(&rt, 60);
        assert_eq!(f.leader(), None);
        f.set_up(1, true);
        assert_eq!(f.leader(), None, "not before the delay");
        settle(&rt, 60);
        assert_eq!(f.leader(), Some(1));
    }

    #[test]
    fn a_stale_election_does_nothing() {
        let (rt, f) = frontends(2, 40);
        f.set_up(0, false);
        f.set_up(0, true);
        // Two elections were started; the first must not elect twice or elect a downed FE.
        f.set_up(1, false);
        settle(&rt, 100);
        assert_eq!(f.leader(), Some(0));
        assert!(!f.set_up(7, false), "no such FE");
    }
}
