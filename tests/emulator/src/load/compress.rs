//! Undoing a body's compression before parsing.
//!
//! A body is decompressed at most once: by the `compression` / `Content-Encoding` header if
//! present, else by the compressed CSV `format` (`gzip`, `lz4`). The BE does the same (the
//! explicit payload compression wins over the format's), which is why the SDK's
//! `format: lz4` + `compression: lz4_frame` works. Invariant: the returned bytes are exactly
//! what the client compressed, or an error says which codec failed.

use std::io::Read;

use super::{Compression, LoadParams};

/// Decompresses `body` according to `params`; an uncompressed body is returned as it is, and
/// an empty body stays empty.
pub fn decompress(params: &LoadParams, body: Vec<u8>) -> Result<Vec<u8>, String> {
    let Some(codec) = params.compression.or(params.format_compression) else {
        return Ok(body);
    };
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let read = match codec {
        Compression::Gzip => flate2::read::MultiGzDecoder::new(&body[..]).read_to_end(&mut out),
        Compression::Lz4Frame => {
            lz4_flex::frame::FrameDecoder::new(&body[..]).read_to_end(&mut out)
        }
    };
    read.map_err(|e| format!("Failed to decompress the {} body: {e}", codec.name()))?;
    Ok(out)
}

impl Compression {
    /// The header spelling of the codec.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Lz4Frame => "lz4_frame",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::load::tests::{params, Headers};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn round_trips_gzip_and_lz4_frame_bodies() {
        let data = b"1\talice\n2\tbob\n".repeat(100);
        let cases: [(Headers<'_>, Vec<u8>); 4] = [
            (&[("compression", "gzip")], gzip(&data)),
            (&[("content-encoding", "GZIP")], gzip(&data)),
            (&[("compression", "lz4_frame")], lz4(&data)),
            (
                &[("format", "lz4"), ("compression", "lz4_frame")],
                lz4(&data),
            ),
        ];
        for (headers, body) in cases {
            let p = params(headers).unwrap();
            assert_eq!(decompress(&p, body.clone()).unwrap(), data, "{headers:?}");
        }
    }

    #[test]
    fn compressed_csv_formats_decompress_without_a_compression_header() {
        let data = b"1,a\n";
        assert_eq!(
            decompress(&params(&[("format", "gzip")]).unwrap(), gzip(data)).unwrap(),
            data
        );
        assert_eq!(
            decompress(&params(&[("format", "LZ4")]).unwrap(), lz4(data)).unwrap(),
            data
        );
    }

    #[test]
    fn uncompressed_and_empty_bodies_pass_through() {
        assert_eq!(
            decompress(&params(&[]).unwrap(), b"x".to_vec()).unwrap(),
            b"x"
        );
        assert!(
            decompress(&params(&[("compression", "gzip")]).unwrap(), Vec::new())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_corrupt_body_names_its_codec() {
        let err = decompress(
            &params(&[("compression", "lz4_frame")]).unwrap(),
            b"garbage".to_vec(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("Failed to decompress the lz4_frame body: "),
            "{err}"
        );
    }
}
