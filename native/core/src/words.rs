//! Word-at-a-time tests over byte strings: whether any byte of a text has a property that an
//! eight-byte word can be tested for at once, such as needing a JSON escape or not being
//! ASCII.
//!
//! Invariant: [`any`] reads every byte of the text at least once, in words of eight; bytes
//! read twice (the last word overlaps the one before it) or filled in (spaces, in text
//! shorter than eight bytes) do not change the answer as long as the test is false for a word
//! of spaces and true for a word only when one of its bytes has the property (a test whose
//! bytes interact, through borrows, must not report a byte its neighbour made look so).

/// Whether `bits` is nonzero for any word of `text`. `bits` must be zero for eight spaces, and
/// nonzero only for a word that has a byte with the property.
#[inline(always)]
pub(crate) fn any(text: &[u8], bits: impl Fn(u64) -> u64) -> bool {
    let words = text.chunks_exact(8);
    let rest = words.remainder();
    let mut found = words.fold(0, |found, word| {
        found
            | word
                .first_chunk::<8>()
                .map_or(0, |word| bits(u64::from_le_bytes(*word)))
    });
    if !rest.is_empty() {
        let last = match text.last_chunk::<8>() {
            Some(last) => u64::from_le_bytes(*last),
            None => short_word(rest),
        };
        found |= bits(last);
    }
    found != 0
}

/// The high bit of each byte that is not ASCII.
#[inline(always)]
pub(crate) fn non_ascii(word: u64) -> u64 {
    word & u64::from_ne_bytes([0x80; 8])
}

/// One to seven bytes as a word that holds each of them at least once, the rest spaces: two
/// reads that overlap rather than a copy, which would make the word wait for its stores.
#[inline(always)]
fn short_word(text: &[u8]) -> u64 {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    let u32_at = |bytes: Option<&[u8; 4]>| bytes.map_or(0, |b| u64::from(u32::from_le_bytes(*b)));
    let u16_at = |bytes: Option<&[u8; 2]>| bytes.map_or(0, |b| u64::from(u16::from_le_bytes(*b)));
    match text.len() {
        4.. => u32_at(text.first_chunk()) | u32_at(text.last_chunk()) << 32,
        2.. => u16_at(text.first_chunk()) | u16_at(text.last_chunk()) << 16 | SPACES << 32,
        _ => text.first().map_or(SPACES, |&b| u64::from(b) | SPACES << 8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_of_every_length_is_seen() {
        // A non-ASCII byte at each position of texts of 0 to 24 bytes.
        for len in 0..=24 {
            let text = vec![b'a'; len];
            assert!(!any(&text, non_ascii), "{len} plain bytes");
            for at in 0..len {
                let mut text = text.clone();
                text[at] = 0xc3;
                assert!(any(&text, non_ascii), "byte {at} of {len}");
            }
        }
    }
}
