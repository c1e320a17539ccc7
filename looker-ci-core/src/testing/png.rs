//! The picture FakeLooker renders a query as (`GET /queries/{id}/run/png`): a valid 1x1 PNG,
//! built here byte by byte so that image libraries and `file` accept it.

/// CRC-32 (ISO-HDLC, the one PNG and zlib use), bit by bit: the image is a few dozen bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// zlib's Adler-32 checksum.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A 1x1 PNG of one RGB pixel.
pub(crate) fn one_pixel(rgb: [u8; 3]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    // Width 1, height 1, 8 bits per sample, colour type 2 (RGB), deflate, no filter, no interlace.
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    // One scanline: filter type 0, then the pixel; stored in one uncompressed deflate block.
    let scanline = [0, rgb[0], rgb[1], rgb[2]];
    let length = u16::try_from(scanline.len()).unwrap_or(u16::MAX);
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&length.to_le_bytes());
    zlib.extend_from_slice(&(!length).to_le_bytes());
    zlib.extend_from_slice(&scanline);
    zlib.extend_from_slice(&adler32(&scanline).to_be_bytes());
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_published_check_values() {
        // The check values of the CRC-32 and Adler-32 catalogues, for "123456789" and "Wikipedia".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn the_image_is_a_well_formed_png() {
        let png = one_pixel([66, 133, 244]);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IEND's CRC is the same in every PNG.
        assert_eq!(&png[png.len() - 12..], b"\0\0\0\0IEND\xae\x42\x60\x82");
        assert_eq!(&png[12..16], b"IHDR");
    }
}
