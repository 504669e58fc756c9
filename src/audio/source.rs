//! The byte source under symphonia: a file (or a tail of it, for MP3 seeks) that counts the bytes
//! it reads, so tests and benchmarks can check that a short read of a long file touches little.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use symphonia::core::io::MediaSource;

/// Four bytes of the file replaced as they are read (a corrected header field).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderPatch {
    /// Offset from the start of the stream.
    pub offset: u64,
    pub bytes: [u8; 4],
}

/// A file seen from `offset` onwards, with optional header patches.
#[derive(Debug)]
pub(crate) struct CountingFile {
    file: File,
    offset: u64,
    len: u64,
    /// Current position relative to `offset`.
    pos: u64,
    bytes_read: Arc<AtomicU64>,
    patches: Vec<HeaderPatch>,
}

impl CountingFile {
    pub fn new(
        mut file: File,
        offset: u64,
        bytes_read: Arc<AtomicU64>,
        patches: Vec<HeaderPatch>,
    ) -> std::io::Result<Self> {
        let file_len = file.metadata()?.len();
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            file,
            offset,
            len: file_len.saturating_sub(offset),
            pos: 0,
            bytes_read,
            patches,
        })
    }
}

impl Read for CountingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        let (from, to) = (self.pos, self.pos + n as u64);
        for patch in &self.patches {
            for (i, byte) in patch.bytes.iter().enumerate() {
                let at = patch.offset + i as u64;
                if (from..to).contains(&at) {
                    buf[usize::try_from(at - from).unwrap_or(0)] = *byte;
                }
            }
        }
        self.pos = to;
        Ok(n)
    }
}

impl Seek for CountingFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let absolute = match pos {
            SeekFrom::Start(p) => SeekFrom::Start(p + self.offset),
            SeekFrom::End(d) => SeekFrom::End(d),
            SeekFrom::Current(d) => SeekFrom::Current(d),
        };
        let at = self.file.seek(absolute)?;
        if at < self.offset {
            self.file.seek(SeekFrom::Start(self.offset))?;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the stream",
            ));
        }
        self.pos = at - self.offset;
        Ok(self.pos)
    }
}

impl MediaSource for CountingFile {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
