//! Which records of a body StarRocks rejects, found without loading any of them.
//!
//! When StarRocks filters rows of a load (a string in an INT column under `strict_mode`, a
//! value too long for its VARCHAR, a NULL for a NOT NULL column, …) it says how many, and logs
//! the first of them at its `ErrorURL` as rendered rows — not which records they came from.
//! The sink finds those records by **probing**: a probe is a transaction Stream Load of some of
//! the body's records, sent with `max_filter_ratio=1` so that no row fails it, prepared (which
//! answers how many rows StarRocks filtered) and then always rolled back. A probe never
//! commits, so the search loads no row, good or bad; the good records load afterwards, once,
//! in the load they came in (see `table::Table::reject`).
//!
//! The search ([`isolate`]) halves the records until every filtering range is one record: a
//! range whose probe filters nothing is good as a whole, and since the rows filtered in a
//! range are the sum of its halves', only the left half of each split is probed. Finding k
//! bad records among n takes about k·log2(n/k) probes. The one-record probe of a bad record
//! names StarRocks' reason for it (its `ErrorURL`).
//!
//! [`disposition`] is the policy (pure): what becomes of the records found, given
//! `errors.tolerance`, `max_filter_ratio` and whether StarRocks committed the load anyway.

use std::future::Future;
use std::ops::Range;

use super::response::{classify, Op, Verdict};
use super::{BodyKind, LoadRequest, StreamLoadClient};

/// What one probe learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probed {
    pub total_rows: u64,
    pub filtered_rows: u64,
    /// Where StarRocks logged the filtered rows, if it did.
    pub error_url: Option<String>,
}

/// A record the search found rejected: its number in the body, and where StarRocks logged
/// its rows (the one-record probe's `ErrorURL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub record: usize,
    pub error_url: Option<String>,
}

/// What the search found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Isolated {
    /// The rejected records, in body order.
    pub found: Vec<Found>,
    /// Rows and filtered rows of the whole body.
    pub total_rows: u64,
    pub filtered_rows: u64,
    /// How many probes it took.
    pub probes: u32,
}

/// Finds the rejected records among the body's `records`. `whole` is what StarRocks already
/// said of the whole body (a load it committed with filtered rows), else the body is probed
/// first. `probe` probes a range of records (by number). Fails with the first probe that
/// failed.
pub async fn isolate<F, Fut>(
    records: usize,
    whole: Option<Probed>,
    mut probe: F,
) -> Result<Isolated, String>
where
    F: FnMut(Range<usize>) -> Fut,
    Fut: Future<Output = Result<Probed, String>>,
{
    let mut out = Isolated::default();
    if records == 0 {
        return Ok(out);
    }
    let whole = match whole {
        Some(w) => w,
        None => {
            out.probes += 1;
            probe(0..records).await?
        }
    };
    out.total_rows = whole.total_rows;
    out.filtered_rows = whole.filtered_rows;
    // Ranges still to search, with what is known of them (`None`: probe it); the left half
    // is popped first, so records are found in body order.
    let mut stack: Vec<(Range<usize>, Option<Probed>)> = vec![(0..records, Some(whole))];
    while let Some((range, known)) = stack.pop() {
        let known = match known {
            Some(k) => k,
            None => {
                out.probes += 1;
                probe(range.clone()).await?
            }
        };
        if known.filtered_rows == 0 {
            continue;
        }
        if range.len() == 1 {
            let error_url = match known.error_url {
                Some(url) => Some(url),
                None => {
                    // The count was derived from its neighbour's: probe it for its reason.
                    out.probes += 1;
                    let own = probe(range.clone()).await?;
                    if own.filtered_rows == 0 {
                        continue;
                    }
                    own.error_url
                }
            };
            out.found.push(Found {
                record: range.start,
                error_url,
            });
            continue;
        }
        let mid = range.start + range.len() / 2;
        out.probes += 1;
        let left = probe(range.start..mid).await?;
        // The right half filters the rest; when the counts disagree (the table changed
        // meanwhile), it is probed instead of trusted.
        let right = (left.filtered_rows <= known.filtered_rows).then(|| Probed {
            total_rows: known.total_rows.saturating_sub(left.total_rows),
            filtered_rows: known.filtered_rows - left.filtered_rows,
            error_url: None,
        });
        stack.push((mid..range.end, right));
        stack.push((range.start..mid, Some(left)));
    }
    Ok(out)
}

/// Probes `body` (the rows of some records, encoded as the load's, not yet compressed) under
/// `label`: begin, load, prepare, and always a rollback.
pub async fn probe(
    client: &StreamLoadClient,
    template: &LoadRequest,
    label: &str,
    body: bytes::Bytes,
) -> Result<Probed, String> {
    let req = LoadRequest {
        label: label.to_owned(),
        body: client.prepare_body(body),
        kind: BodyKind::Probe,
        progress: None,
        ..template.clone()
    };
    let result = probe_steps(client, &req).await;
    // Always: a probe's rows must never become visible (a PREPARED transaction would stay
    // until its prepared timeout), and an aborted one is answered OK too.
    let rollback = client.step(Op::Rollback, &req).await;
    tracing::trace!(label, ?rollback, "Probe rolled back.");
    result
}

async fn probe_steps(client: &StreamLoadClient, req: &LoadRequest) -> Result<Probed, String> {
    for op in [Op::Begin, Op::Load, Op::Prepare] {
        match classify(op, &client.step(op, req).await) {
            Verdict::Done(result) if op == Op::Prepare => {
                return Ok(Probed {
                    total_rows: result.total_rows,
                    filtered_rows: result.filtered_rows,
                    error_url: result.error_url,
                })
            }
            Verdict::Done(_) => {}
            Verdict::Fatal { message, .. }
            | Verdict::AskState(message)
            | Verdict::Retry(message)
            | Verdict::Restart(message) => {
                return Err(format!(
                    "the probe '{}' failed at its {}: {message}",
                    req.label,
                    op.path()
                ))
            }
        }
    }
    unreachable!("the prepare returns")
}

/// What becomes of the rejected records of a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handed to Connect's errant record reporter (`errors.tolerance=all`); the rest loads.
    Report,
    /// Logged at WARN with their coordinates (filtered within `max_filter_ratio`); the rest
    /// loads.
    Warn,
    /// The task fails naming the first of them; nothing of the load commits.
    Fail,
}

/// The policy. `tolerate_all`: `errors.tolerance=all`. `committed`: StarRocks committed the
/// load anyway (its rows filtered within `max_filter_ratio`). `max_filter_ratio`: the user's.
/// `filtered`/`total`: rows of the whole body.
pub fn disposition(
    tolerate_all: bool,
    committed: bool,
    max_filter_ratio: f64,
    filtered: u64,
    total: u64,
) -> Disposition {
    if tolerate_all {
        Disposition::Report
    } else if committed
        || (max_filter_ratio > 0.0
            && total > 0
            && filtered as f64 / total as f64 <= max_filter_ratio)
    {
        Disposition::Warn
    } else {
        Disposition::Fail
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn block_on<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A probe over records whose rows StarRocks rejects: `bad[i]` rows of record i.
    fn search(bad: &[u64], whole: Option<Probed>) -> Isolated {
        let calls = Mutex::new(Vec::new());
        let probe = |range: Range<usize>| {
            calls.lock().unwrap().push(range.clone());
            let filtered: u64 = bad[range.clone()].iter().sum();
            let probed = Probed {
                total_rows: range.len() as u64,
                filtered_rows: filtered,
                error_url: (filtered > 0).then(|| format!("log-{}-{}", range.start, range.end)),
            };
            async move { Ok::<_, String>(probed) }
        };
        block_on(isolate(bad.len(), whole, probe)).unwrap()
    }

    #[test]
    fn every_rejected_record_is_found_in_order_with_its_own_log() {
        let mut bad = vec![0u64; 1000];
        for i in [0, 3, 4, 500, 998, 999] {
            bad[i] = 1;
        }
        bad[4] = 3; // a record of several rows, three of them rejected
        let found = search(&bad, None);
        let records: Vec<usize> = found.found.iter().map(|f| f.record).collect();
        assert_eq!(records, vec![0, 3, 4, 500, 998, 999]);
        for f in &found.found {
            let own = format!("log-{}-{}", f.record, f.record + 1);
            assert_eq!(f.error_url.as_deref(), Some(own.as_str()));
        }
        assert_eq!((found.total_rows, found.filtered_rows), (1000, 8));
        // About k·log2(n/k) probes, far fewer than one per record.
        assert!(found.probes < 80, "{} probes", found.probes);
    }

    #[test]
    fn a_body_without_rejected_rows_takes_one_probe_and_a_known_count_none() {
        let found = search(&[0; 64], None);
        assert!(found.found.is_empty());
        assert_eq!(found.probes, 1);
        let whole = Probed {
            total_rows: 4,
            filtered_rows: 1,
            error_url: None,
        };
        let found = search(&[0, 0, 1, 0], Some(whole));
        assert_eq!(found.found.len(), 1);
        assert_eq!(found.found[0].record, 2);
        assert_eq!(found.total_rows, 4);
    }

    #[test]
    fn a_probe_that_fails_ends_the_search_with_its_reason() {
        let probe = |_: Range<usize>| async { Err::<Probed, _>("no FE answered".to_owned()) };
        let e = block_on(isolate(3, None, probe)).unwrap_err();
        assert_eq!(e, "no FE answered");
    }

    #[test]
    fn the_policy_table() {
        use Disposition::*;
        // (tolerate all, committed, ratio, filtered, total) -> disposition
        let cases = [
            ((true, false, 0.0, 1, 10), Report),
            ((true, true, 0.5, 1, 10), Report),
            ((false, true, 0.5, 1, 10), Warn),
            ((false, false, 0.0, 1, 10), Fail),
            ((false, false, 0.1, 1, 10), Warn),
            ((false, false, 0.1, 2, 10), Fail),
            ((false, false, 0.5, 0, 0), Fail),
        ];
        for ((all, committed, ratio, filtered, total), expected) in cases {
            assert_eq!(
                disposition(all, committed, ratio, filtered, total),
                expected,
                "{all} {committed} {ratio} {filtered}/{total}"
            );
        }
    }
}
