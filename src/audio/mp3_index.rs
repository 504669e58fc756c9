//! A seek index for MP3 files: the byte offset of every MPEG Layer III frame, found by one pass
//! over the frame headers (no decoding).
//!
//! MP3 has no timestamps, so symphonia's accurate seek walks every frame header from the start of
//! the file on each seek, and its coarse seek guesses from the bitrate (wrong for VBR). With this
//! index a read of 10 s from the middle of a 10-hour file touches only that region, and the exact
//! number of frames (hence duration) is known even without a Xing header.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Bytes read from disk per block while scanning.
const SCAN_BLOCK_BYTES: usize = 1 << 20;

/// The frames of an MP3 file, in order.
#[derive(Debug, Clone)]
pub(crate) struct Mp3Index {
    /// Byte offset of each audio frame (Xing/Info/VBRI frames excluded, as symphonia excludes them).
    pub frame_offsets: Vec<u64>,
    /// Decoded samples per frame and channel (1152 for MPEG-1, 576 for MPEG-2/2.5 Layer III).
    pub samples_per_frame: u32,
    /// Encoder delay (from the LAME tag) that the whole-file reader trims from the start.
    pub delay_frames: u32,
    /// Whether the stream opens with a Xing/Info/VBRI frame, whose frame count is the
    /// encoder's word (without one, symphonia's length is only a bitrate estimate).
    pub has_info_frame: bool,
}

/// The fields of a frame header the index needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FrameHeader {
    /// 1 = MPEG-1, 2 = MPEG-2, 25 = MPEG-2.5.
    version: u8,
    sample_rate_hz: u32,
    mono: bool,
    has_crc: bool,
    frame_len: usize,
}

impl FrameHeader {
    /// Parses a Layer III header; `None` for anything else (other layers, free format, reserved
    /// values).
    fn parse(bytes: [u8; 4]) -> Option<Self> {
        let word = u32::from_be_bytes(bytes);
        if word >> 21 != 0x7FF {
            return None;
        }
        let version = match (word >> 19) & 0b11 {
            0b11 => 1,
            0b10 => 2,
            0b00 => 25,
            _ => return None,
        };
        // Layer III only: the decoder symphonia is built with here.
        if (word >> 17) & 0b11 != 0b01 {
            return None;
        }
        let has_crc = (word >> 16) & 1 == 0;
        let bitrate_idx = ((word >> 12) & 0xF) as usize;
        let rate_idx = ((word >> 10) & 0b11) as usize;
        let padding = ((word >> 9) & 1) as usize;
        let mono = (word >> 6) & 0b11 == 0b11;
        const MPEG1_KBPS: [u32; 15] = [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ];
        const MPEG2_KBPS: [u32; 15] =
            [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
        const RATES_HZ: [u32; 3] = [44_100, 48_000, 32_000];
        if bitrate_idx == 0 || bitrate_idx == 15 || rate_idx == 3 {
            return None;
        }
        let (kbps, sample_rate_hz, slot_factor) = match version {
            1 => (MPEG1_KBPS[bitrate_idx], RATES_HZ[rate_idx], 144),
            2 => (MPEG2_KBPS[bitrate_idx], RATES_HZ[rate_idx] / 2, 72),
            _ => (MPEG2_KBPS[bitrate_idx], RATES_HZ[rate_idx] / 4, 72),
        };
        let frame_len = (slot_factor * kbps * 1000 / sample_rate_hz) as usize + padding;
        Some(Self {
            version,
            sample_rate_hz,
            mono,
            has_crc,
            frame_len,
        })
    }

    fn samples_per_frame(self) -> u32 {
        if self.version == 1 { 1152 } else { 576 }
    }

    /// Whether two headers belong to the same stream (rate and version never change mid-stream).
    fn same_stream(self, other: Self) -> bool {
        self.version == other.version && self.sample_rate_hz == other.sample_rate_hz
    }

    /// Whether the frame body holds a Xing/Info or VBRI tag rather than audio.
    fn is_info_frame(self, frame: &[u8]) -> bool {
        let side_info_len = match (self.version, self.mono) {
            (1, true) => 17,
            (1, false) => 32,
            (_, true) => 9,
            (_, false) => 17,
        };
        let xing_at = 4 + side_info_len + if self.has_crc { 2 } else { 0 };
        let tag_at = |at: usize, tag: &[u8]| frame.get(at..at + tag.len()) == Some(tag);
        tag_at(xing_at, b"Xing") || tag_at(xing_at, b"Info") || tag_at(36, b"VBRI")
    }
}

/// Reads a file block by block, giving random access to a sliding window of bytes.
struct Window {
    file: File,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    eof: bool,
}

impl Window {
    /// Makes `[pos, pos + len)` available; false when the file ends first.
    fn ensure(&mut self, pos: u64, len: usize) -> std::io::Result<bool> {
        while !self.eof && pos + len as u64 > self.start + self.buf.len() as u64 {
            // Drop what lies before `pos`, then read another block.
            let keep_from = usize::try_from(pos.saturating_sub(self.start))
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            self.buf.drain(..keep_from);
            self.start += keep_from as u64;
            let old_len = self.buf.len();
            self.buf.resize(old_len + SCAN_BLOCK_BYTES, 0);
            let mut filled = old_len;
            while filled < self.buf.len() {
                let n = self.file.read(&mut self.buf[filled..])?;
                if n == 0 {
                    self.eof = true;
                    break;
                }
                filled += n;
            }
            self.buf.truncate(filled);
        }
        Ok(pos >= self.start && pos + len as u64 <= self.start + self.buf.len() as u64)
    }

    fn slice(&self, pos: u64, len: usize) -> &[u8] {
        let from = usize::try_from(pos - self.start).unwrap_or(0);
        &self.buf[from..from + len]
    }

    fn header_at(&mut self, pos: u64) -> std::io::Result<Option<FrameHeader>> {
        if !self.ensure(pos, 4)? {
            return Ok(None);
        }
        let b = self.slice(pos, 4);
        Ok(FrameHeader::parse([b[0], b[1], b[2], b[3]]))
    }
}

impl Mp3Index {
    /// Scans the file's frame headers. `None` when no Layer III stream is found (free-format
    /// streams, for example); readers then fall back to symphonia's own seeking.
    pub fn build(path: &Path) -> std::io::Result<Option<Self>> {
        let mut window = Window {
            file: File::open(path)?,
            buf: Vec::with_capacity(SCAN_BLOCK_BYTES * 2),
            start: 0,
            eof: false,
        };
        let mut pos = id3v2_len(&mut window)?;
        let mut first: Option<FrameHeader> = None;
        let mut frame_offsets = Vec::new();
        let mut has_info_frame = false;
        loop {
            let Some(header) = window.header_at(pos)? else {
                if window.ensure(pos, 4)? {
                    pos += 1; // Junk between frames: resync byte by byte.
                    continue;
                }
                break;
            };
            if let Some(first) = first {
                if !header.same_stream(first) {
                    pos += 1;
                    continue;
                }
            } else {
                // Accept the first header only if the next frame's header confirms it, so a stray
                // 0xFFE pattern in junk is not taken for the stream.
                let next = window.header_at(pos + header.frame_len as u64)?;
                let end_of_file = !window.ensure(pos + header.frame_len as u64, 1)?;
                if !(end_of_file || next.is_some_and(|n| n.same_stream(header))) {
                    pos += 1;
                    continue;
                }
                first = Some(header);
            }
            if !window.ensure(pos, header.frame_len)? {
                // A final frame cut off by truncation: the decoder cannot use it either.
                break;
            }
            if header.is_info_frame(window.slice(pos, header.frame_len)) {
                has_info_frame |= frame_offsets.is_empty();
            } else {
                frame_offsets.push(pos);
            }
            pos += header.frame_len as u64;
        }
        Ok(first.map(|first| Self {
            frame_offsets,
            samples_per_frame: first.samples_per_frame(),
            delay_frames: 0,
            has_info_frame,
        }))
    }

    /// The audio frames of an in-memory MP3 (ID3 tags, junk and Xing/Info frames dropped), and
    /// the stream's sample rate and samples per frame.
    pub fn audio_frames(bytes: &[u8]) -> Option<(Vec<&[u8]>, u32, u32)> {
        let mut pos = usize::try_from(id3v2_len_of(bytes)).ok()?;
        let mut first: Option<FrameHeader> = None;
        let mut frames = Vec::new();
        while let Some(window) = bytes.get(pos..pos + 4) {
            let header = FrameHeader::parse([window[0], window[1], window[2], window[3]])
                .filter(|h| first.is_none_or(|f| h.same_stream(f)));
            let Some(header) = header else {
                pos += 1;
                continue;
            };
            let Some(frame) = bytes.get(pos..pos + header.frame_len) else {
                break;
            };
            first.get_or_insert(header);
            if !header.is_info_frame(frame) {
                frames.push(frame);
            }
            pos += header.frame_len;
        }
        first.map(|f| (frames, f.sample_rate_hz, f.samples_per_frame()))
    }

    /// Frames decoded by a reader that starts at the first audio frame, before delay trimming.
    pub fn total_samples(&self) -> u64 {
        self.frame_offsets.len() as u64 * u64::from(self.samples_per_frame)
    }
}

/// Length of an ID3v2 tag at the start of the file (0 when there is none).
fn id3v2_len(window: &mut Window) -> std::io::Result<u64> {
    if !window.ensure(0, 10)? {
        return Ok(0);
    }
    Ok(id3v2_len_of(window.slice(0, 10)))
}

fn id3v2_len_of(h: &[u8]) -> u64 {
    if h.len() < 10 || &h[0..3] != b"ID3" {
        return 0;
    }
    let size = h[6..10]
        .iter()
        .fold(0_u64, |acc, b| (acc << 7) | u64::from(b & 0x7F));
    let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
    10 + size + footer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_layer3_headers() {
        // MPEG-1 Layer III, 128 kbps, 44.1 kHz, no padding, stereo: 417 bytes.
        let h = FrameHeader::parse([0xFF, 0xFB, 0x90, 0x00]).unwrap();
        assert_eq!((h.version, h.sample_rate_hz, h.frame_len), (1, 44_100, 417));
        assert_eq!(h.samples_per_frame(), 1152);
        // MPEG-2 Layer III, 64 kbps, 22.05 kHz, padding, mono: 72*64000/22050 + 1 = 209.
        let h = FrameHeader::parse([0xFF, 0xF3, 0x82, 0xC0]).unwrap();
        assert_eq!(
            (h.version, h.sample_rate_hz, h.frame_len, h.mono),
            (2, 22_050, 209, true)
        );
        assert_eq!(h.samples_per_frame(), 576);
        // Layer II, free format, reserved rate, no sync: rejected.
        assert!(FrameHeader::parse([0xFF, 0xFD, 0x90, 0x00]).is_none());
        assert!(FrameHeader::parse([0xFF, 0xFB, 0x00, 0x00]).is_none());
        assert!(FrameHeader::parse([0xFF, 0xFB, 0x9C, 0x00]).is_none());
        assert!(FrameHeader::parse([0x7F, 0xFB, 0x90, 0x00]).is_none());
    }
}
