//! Exact decimal numbers from Connect's encoding: a big-endian two's complement unscaled integer
//! and a scale, as `java.math.BigDecimal` holds them.
//!
//! Invariant: the text written is a JSON number whose value is exactly `unscaled × 10^-scale`,
//! whatever the size of `unscaled`; no digit is ever lost to a float. Values of up to 16 bytes
//! (every StarRocks DECIMAL, up to 38 digits) take an allocation-free path through `i128`.

/// Past this many zeros of padding, the number is written with an exponent instead
/// (`123e-1000`), so that a wild scale cannot blow a row up to gigabytes.
const MAX_PLAIN_ZEROS: i64 = 64;

/// Writes `unscaled × 10^-scale` as a JSON number; `Err` gives the reason it cannot be.
pub(super) fn write_decimal(out: &mut Vec<u8>, unscaled: &[u8], scale: i32) -> Result<(), String> {
    let Some(&first) = unscaled.first() else {
        return Err("a decimal's unscaled value has no bytes".to_owned());
    };
    let negative = first & 0x80 != 0;
    let mut small = itoa::Buffer::new();
    let large;
    let digits: &[u8] = if unscaled.len() <= 16 {
        // Sign-extend into an i128; the shifts drop only copies of the sign bit.
        let mut value: i128 = if negative { -1 } else { 0 };
        for &byte in unscaled {
            value = (value << 8) | i128::from(byte);
        }
        small.format(value.unsigned_abs()).as_bytes()
    } else {
        large = magnitude_digits(unscaled, negative);
        &large
    };
    if negative {
        out.push(b'-');
    }
    place_point(out, digits, i64::from(scale));
    Ok(())
}

/// Writes the digits of a magnitude with the decimal point `scale` places from the right.
fn place_point(out: &mut Vec<u8>, digits: &[u8], scale: i64) {
    let len = digits.len() as i64;
    if scale == 0 || digits == b"0" && scale < 0 {
        out.extend_from_slice(digits);
    } else if scale < 0 {
        out.extend_from_slice(digits);
        if -scale <= MAX_PLAIN_ZEROS {
            push_zeros(out, -scale);
        } else {
            out.push(b'e');
            out.extend_from_slice(itoa::Buffer::new().format(-scale).as_bytes());
        }
    } else if scale < len {
        // `0 < scale < len`, so the split point lies inside `digits`.
        let (int, frac) = digits.split_at((len - scale) as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if scale - len <= MAX_PLAIN_ZEROS {
        out.extend_from_slice(b"0.");
        push_zeros(out, scale - len);
        out.extend_from_slice(digits);
    } else {
        out.extend_from_slice(digits);
        out.extend_from_slice(b"e-");
        out.extend_from_slice(itoa::Buffer::new().format(scale).as_bytes());
    }
}

fn push_zeros(out: &mut Vec<u8>, count: i64) {
    out.resize(out.len() + count.unsigned_abs() as usize, b'0');
}

/// The decimal digits of the magnitude of a two's complement integer of any length.
fn magnitude_digits(bytes: &[u8], negative: bool) -> Vec<u8> {
    let mut magnitude = bytes.to_vec();
    if negative {
        for byte in magnitude.iter_mut() {
            *byte = !*byte;
        }
        for byte in magnitude.iter_mut().rev() {
            let (sum, carry) = byte.overflowing_add(1);
            *byte = sum;
            if !carry {
                break;
            }
        }
    }
    // Base 2^32 limbs, least significant first.
    let mut limbs: Vec<u32> = magnitude
        .rchunks(4)
        .map(|chunk| chunk.iter().fold(0, |acc, &b| (acc << 8) | u32::from(b)))
        .collect();
    trim_high_zeros(&mut limbs);
    // Base 10^9 chunks, least significant first, by repeated long division.
    const BILLION: u64 = 1_000_000_000;
    let mut chunks: Vec<u32> = Vec::new();
    while !limbs.is_empty() {
        let mut remainder = 0u64;
        for limb in limbs.iter_mut().rev() {
            let current = (remainder << 32) | u64::from(*limb);
            // `remainder < BILLION`, so the quotient fits in 32 bits.
            *limb = (current / BILLION) as u32;
            remainder = current % BILLION;
        }
        chunks.push(remainder as u32);
        trim_high_zeros(&mut limbs);
    }
    let Some((&top, rest)) = chunks.split_last() else {
        return b"0".to_vec();
    };
    let mut digits = Vec::with_capacity(chunks.len() * 9);
    digits.extend_from_slice(itoa::Buffer::new().format(top).as_bytes());
    for &chunk in rest.iter().rev() {
        let text = itoa::Buffer::new().format(chunk).as_bytes().to_vec();
        digits.resize(digits.len() + 9 - text.len(), b'0');
        digits.extend_from_slice(&text);
    }
    digits
}

fn trim_high_zeros(limbs: &mut Vec<u32>) {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(unscaled: &[u8], scale: i32) -> Result<String, String> {
        let mut out = Vec::new();
        write_decimal(&mut out, unscaled, scale)?;
        Ok(String::from_utf8(out).expect("decimal text is ASCII"))
    }

    /// Big-endian two's complement bytes of an i128, minimal length (as BigInteger writes them).
    fn be(value: i128) -> Vec<u8> {
        let bytes = value.to_be_bytes();
        let sign = if value < 0 { 0xff } else { 0x00 };
        let mut start = 0;
        while start < 15 && bytes[start] == sign && (bytes[start + 1] & 0x80) == (sign & 0x80) {
            start += 1;
        }
        bytes[start..].to_vec()
    }

    #[test]
    fn decimals_render_exactly_at_every_scale() {
        let cases: &[(i128, i32, &str)] = &[
            (12_345, 2, "123.45"),
            (-12_345, 2, "-123.45"),
            (12_345, 0, "12345"),
            (5, 3, "0.005"),
            (-5, 3, "-0.005"),
            (0, 0, "0"),
            (0, 2, "0.00"),
            (0, -3, "0"),
            (123, -2, "12300"),
            (-1, 0, "-1"),
            (127, 0, "127"),
            (128, 0, "128"),
            (-128, 0, "-128"),
            (-129, 0, "-129"),
            (i64::MAX as i128 + 1, 0, "9223372036854775808"),
            (
                99_999_999_999_999_999_999_999_999_999_999_999_999,
                10,
                "9999999999999999999999999999.9999999999",
            ),
            (
                -99_999_999_999_999_999_999_999_999_999_999_999_999,
                38,
                "-0.99999999999999999999999999999999999999",
            ),
            (i128::MIN, 0, "-170141183460469231731687303715884105728"),
            (i128::MAX, 5, "1701411834604692317316873037158841.05727"),
            (123, 1_000, "123e-1000"),
            (123, -1_000, "123e1000"),
        ];
        for &(value, scale, expected) in cases {
            assert_eq!(
                decimal(&be(value), scale).as_deref(),
                Ok(expected),
                "{value} scale {scale}"
            );
        }
    }

    #[test]
    fn unscaled_values_wider_than_128_bits_keep_every_digit() {
        let cases: &[(&[u8], i32, &str)] = &[
            // 2^128, one byte wider than i128.
            (
                &[0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                0,
                "340282366920938463463374607431768211456",
            ),
            // -2^128.
            (
                &[0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                2,
                "-3402823669209384634633746074317682114.56",
            ),
            // 2^160 - 1 with a redundant leading zero byte.
            (
                &[
                    0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                ],
                0,
                "1461501637330902918203684832716283019655932542975",
            ),
            // -1 spelled with 20 bytes.
            (&[0xff; 20], 3, "-0.001"),
            // 1e9 exactly at a chunk boundary: 10^27 = 0x033B2E3C9FD0803CE8000000.
            (
                &[
                    0, 0, 0, 0, 0, 0x03, 0x3b, 0x2e, 0x3c, 0x9f, 0xd0, 0x80, 0x3c, 0xe8, 0, 0, 0,
                ],
                0,
                "1000000000000000000000000000",
            ),
            (&[0; 17], 1, "0.0"),
        ];
        for &(bytes, scale, expected) in cases {
            assert_eq!(
                decimal(bytes, scale).as_deref(),
                Ok(expected),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn an_empty_unscaled_value_is_refused() {
        assert_eq!(
            decimal(&[], 2),
            Err("a decimal's unscaled value has no bytes".to_owned())
        );
    }
}
