//! A bounds-checked reader over a batch's bytes, and the [`Fault`] it reports.
//!
//! Every read names what it reads (`"partition"`, `"INT64 value"`, ...) so that a failure can
//! say what was being read and at which byte; the caller adds which record it was in.
//!
//! Invariant: `pos <= bytes.len()` at all times. A read either consumes bytes that exist or
//! returns a [`Fault`] — it never panics, and a length or count is checked against the bytes
//! that remain before anyone allocates for it.

/// The result of a read: the value, or where and why decoding stopped.
pub(super) type Step<T> = std::result::Result<T, Fault>;

/// Why decoding stopped and at which byte offset. Boxed so that `Step<T>` stays small on the
/// hot path; built only on failure.
#[derive(Debug)]
pub(super) struct Fault(Box<FaultInner>);

#[derive(Debug)]
struct FaultInner {
    at: usize,
    what: String,
}

impl Fault {
    #[cold]
    pub(super) fn new(at: usize, what: impl Into<String>) -> Fault {
        Fault(Box::new(FaultInner {
            at,
            what: what.into(),
        }))
    }

    /// The byte offset, from the start of the batch, where the offending item starts.
    pub(super) fn at(&self) -> usize {
        self.0.at
    }

    /// What is wrong, without the offset.
    pub(super) fn what(&self) -> &str {
        &self.0.what
    }
}

/// A reader over the batch bytes; values it returns borrow from them.
#[derive(Clone)]
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// The offset of the next byte to read.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes from the next one to the end, without reading them.
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// The next byte, without reading it.
    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(super) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    #[cold]
    fn truncated(&self, needed: usize, what: &str) -> Fault {
        Fault::new(
            self.pos,
            format!(
                "truncated: {what} needs {needed} byte{} but {} remain",
                if needed == 1 { "" } else { "s" },
                self.remaining()
            ),
        )
    }

    /// The next `n` bytes.
    #[inline]
    pub(super) fn take(&mut self, n: usize, what: &str) -> Step<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated(n, what));
        }
        let taken = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(taken)
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &str) -> Step<[u8; N]> {
        match self.bytes[self.pos..].first_chunk::<N>() {
            Some(chunk) => {
                self.pos += N;
                Ok(*chunk)
            }
            None => Err(self.truncated(N, what)),
        }
    }

    #[inline]
    pub(super) fn u8(&mut self, what: &str) -> Step<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1, what)),
        }
    }

    #[inline]
    pub(super) fn i8(&mut self, what: &str) -> Step<i8> {
        self.array(what).map(i8::from_le_bytes)
    }

    #[inline]
    pub(super) fn u16(&mut self, what: &str) -> Step<u16> {
        self.array(what).map(u16::from_le_bytes)
    }

    #[inline]
    pub(super) fn i16(&mut self, what: &str) -> Step<i16> {
        self.array(what).map(i16::from_le_bytes)
    }

    #[inline]
    pub(super) fn u32(&mut self, what: &str) -> Step<u32> {
        self.array(what).map(u32::from_le_bytes)
    }

    #[inline]
    pub(super) fn i32(&mut self, what: &str) -> Step<i32> {
        self.array(what).map(i32::from_le_bytes)
    }

    #[inline]
    pub(super) fn i64(&mut self, what: &str) -> Step<i64> {
        self.array(what).map(i64::from_le_bytes)
    }

    #[inline]
    pub(super) fn f32(&mut self, what: &str) -> Step<f32> {
        self.array(what).map(f32::from_le_bytes)
    }

    #[inline]
    pub(super) fn f64(&mut self, what: &str) -> Step<f64> {
        self.array(what).map(f64::from_le_bytes)
    }

    /// A byte that must be 0 or 1.
    #[inline]
    pub(super) fn flag(&mut self, what: &str) -> Step<bool> {
        let at = self.pos;
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Fault::new(at, format!("{what} is {b}, expected 0 or 1"))),
        }
    }

    /// An unsigned LEB128 integer of at most 64 bits.
    #[inline]
    pub(super) fn varint(&mut self, what: &str) -> Step<u64> {
        if let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.varint_long(what)
    }

    fn varint_long(&mut self, what: &str) -> Step<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(Fault::new(
                    start,
                    format!("truncated: {what} (a varint) runs past the end of the batch"),
                ));
            };
            self.pos += 1;
            // The tenth byte holds bit 63 only; anything more overflows 64 bits.
            if i == 9 && b > 1 {
                break;
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(Fault::new(
            start,
            format!("{what} (a varint) overflows 64 bits"),
        ))
    }

    /// A zigzag-encoded signed varint.
    pub(super) fn zigzag(&mut self, what: &str) -> Step<i64> {
        let n = self.varint(what)?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// A count of items that each take at least `min_item` bytes (taken as 1 when 0); a count
    /// the remaining bytes cannot hold is an error, so callers may allocate for it.
    #[inline]
    pub(super) fn count(&mut self, what: &str, min_item: usize) -> Step<usize> {
        let at = self.pos;
        let n = self.varint(what)?;
        let fits = self.remaining() / min_item.max(1);
        if n > fits as u64 {
            return Err(Fault::new(
                at,
                format!(
                    "{what} {n} cannot fit in the {} bytes that remain",
                    self.remaining()
                ),
            ));
        }
        Ok(n as usize)
    }

    /// `varint length` and that many bytes.
    #[inline]
    pub(super) fn bytes(&mut self, what: &str) -> Step<&'a [u8]> {
        let at = self.pos;
        let n = self.varint(what)?;
        if n > self.remaining() as u64 {
            return Err(Fault::new(
                at,
                format!(
                    "truncated: {what} has length {n} but only {} bytes remain",
                    self.remaining()
                ),
            ));
        }
        self.take(n as usize, what)
    }

    /// `varint length` and that many bytes of UTF-8.
    #[inline]
    pub(super) fn str(&mut self, what: &str) -> Step<&'a str> {
        let bytes = self.bytes(what)?;
        std::str::from_utf8(bytes).map_err(|e| {
            let start = self.pos - bytes.len();
            Fault::new(
                start + e.valid_up_to(),
                format!(
                    "{what} is not valid UTF-8 (string starts at byte {start}, {} bytes long)",
                    bytes.len()
                ),
            )
        })
    }

    /// `varint length` and that many bytes of UTF-8, checked but kept as bytes, for a scan
    /// that only asks whether the text is valid. ASCII, most text, is checked word by word.
    #[inline]
    pub(super) fn utf8(&mut self, what: &str) -> Step<&'a [u8]> {
        let at = self.pos;
        let bytes = self.bytes(what)?;
        if crate::words::any(bytes, crate::words::non_ascii) {
            return self.non_ascii(at, what);
        }
        Ok(bytes)
    }

    /// [`Cursor::utf8`] of text that is not all ASCII, read again from `at`.
    #[cold]
    fn non_ascii(&mut self, at: usize, what: &str) -> Step<&'a [u8]> {
        self.pos = at;
        self.str(what).map(str::as_bytes)
    }
}
