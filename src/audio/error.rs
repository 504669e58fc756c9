use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading or writing a recording.
///
/// Messages say what failed, why, and name the file last, so they can be shown to a user as-is.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot open audio file: {source}: {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read audio file: it is empty (0 bytes): {}", path.display())]
    EmptyFile { path: PathBuf },
    #[error(
        "cannot read audio file: not a recognised format (wav, flac, mp3, ogg/vorbis, aiff/aifc): {}",
        path.display()
    )]
    UnsupportedFormat { path: PathBuf },
    #[error("cannot decode audio: unsupported codec ({detail}): {}", path.display())]
    UnsupportedCodec { path: PathBuf, detail: String },
    #[error("cannot read audio file: it has no audio track: {}", path.display())]
    NoAudioTrack { path: PathBuf },
    #[error("cannot read audio file: it holds no audio samples (header only or cut off before the first sample): {}", path.display())]
    NoSamples { path: PathBuf },
    #[error("cannot read audio: corrupt or truncated data ({detail}): {}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot read audio: {detail}: {}", path.display())]
    Io { path: PathBuf, detail: String },
    #[error(
        "cannot select channel {channel}: the recording has {channels} channel(s) (channels count from 0): {}",
        path.display()
    )]
    ChannelOutOfRange {
        path: PathBuf,
        channel: u16,
        channels: u16,
    },
    #[error("cannot resample from {from_hz} Hz to {to_hz} Hz: {detail}: {}", path.display())]
    Resample {
        path: PathBuf,
        from_hz: u32,
        to_hz: u32,
        detail: String,
    },
    #[error("cannot write audio file: {detail}: {}", path.display())]
    Write { path: PathBuf, detail: String },
}

impl AudioError {
    /// The file the error is about.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Open { path, .. }
            | Self::EmptyFile { path }
            | Self::UnsupportedFormat { path }
            | Self::UnsupportedCodec { path, .. }
            | Self::NoAudioTrack { path }
            | Self::NoSamples { path }
            | Self::Corrupt { path, .. }
            | Self::Io { path, .. }
            | Self::ChannelOutOfRange { path, .. }
            | Self::Resample { path, .. }
            | Self::Write { path, .. } => path,
        }
    }

    /// Maps a symphonia error met while demuxing or decoding `path`.
    pub(crate) fn from_symphonia(path: &Path, err: &symphonia::core::errors::Error) -> Self {
        use symphonia::core::errors::Error as E;
        let path = path.to_path_buf();
        match err {
            E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Self::Corrupt {
                path,
                detail: "the file ends early".to_owned(),
            },
            E::IoError(io) => Self::Io {
                path,
                detail: io.to_string(),
            },
            E::Unsupported(what) => Self::UnsupportedCodec {
                path,
                detail: (*what).to_owned(),
            },
            other => Self::Corrupt {
                path,
                detail: other.to_string(),
            },
        }
    }
}
