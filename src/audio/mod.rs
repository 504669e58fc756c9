//! Recordings: probing, streaming sample-accurate reads of any span, channel mixing,
//! resampling and WAV writing. Nothing here holds a whole long recording in memory.

mod error;
mod flac_writer;
mod metadata;
mod mp3_index;
mod reader;
mod resample;
mod source;
mod wav;

pub use error::AudioError;
pub use flac_writer::write_flac;
pub use metadata::{RecordingStart, StartTimeSource};
pub(crate) use mp3_index::Mp3Index;
pub use reader::{AudioReader, ChannelMode, RecordingInfo};
pub use resample::{ResampleError, ResamplingReader, resample};
pub use wav::{WavEncoding, write_wav, write_wav_channels, write_wav_streaming};

use std::path::Path;

/// Reads a recording's headers (and checks that its audio decodes and how long it really is).
pub fn probe(path: impl AsRef<Path>) -> Result<RecordingInfo, AudioError> {
    Ok(AudioReader::open(path)?.info().clone())
}

/// When `path`'s first sample was recorded, from its GUANO or AudioMoth metadata or its name
/// (see [`RecordingStart`]); reads only the WAV chunk headers, and falls back to the name when
/// the file cannot be read.
#[must_use]
pub fn recording_start_of(path: &Path) -> Option<RecordingStart> {
    let riff = metadata::scan_riff(path).ok().flatten();
    metadata::recording_start(path, riff.as_ref())
}

/// The time a `YYYYMMDD_HHMMSS` (or `…-…`, `…T…`) in `name` gives, as recorders name files.
#[must_use]
pub fn start_from_name(name: &str) -> Option<RecordingStart> {
    metadata::parse_file_name_time(name)
}

/// The site of recordings whose names hold nothing before the timestamp.
pub const NO_SITE: &str = "(no site)";

/// The site part of a recording's file name: what comes before its `YYYYMMDD_HHMMSS`, without
/// the separators (`NO_SITE` when nothing does, or the name has no timestamp).
#[must_use]
pub fn site_of(file_name: &str) -> String {
    let stem = Path::new(file_name).file_stem().map_or_else(
        || file_name.to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let at = (0..stem.len()).find(|&i| {
        stem.is_char_boundary(i)
            && stem.is_char_boundary((i + 15).min(stem.len()))
            && stem
                .get(i..i + 15)
                .is_some_and(|piece| start_from_name(piece).is_some())
    });
    let site = at.map_or("", |i| stem[..i].trim_end_matches(['_', '-', ' ', '.']));
    if site.is_empty() {
        NO_SITE.to_owned()
    } else {
        site.to_owned()
    }
}

/// File extensions Syrinx decodes.
pub const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc",
];

/// Whether `path` names an audio file Syrinx decodes (by extension, any case).
#[must_use]
pub fn is_audio_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The audio files directly in `dir`, sorted by name.
pub fn audio_files_in(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_audio_path(p) && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Decodes a whole (short) recording as one channel. For long recordings read spans with
/// [`AudioReader`] instead: an hour of mono `f32` is 635 MB at 44.1 kHz.
pub fn read_all(
    path: impl AsRef<Path>,
    mode: ChannelMode,
) -> Result<(RecordingInfo, Vec<f32>), AudioError> {
    let mut reader = AudioReader::open(path)?;
    reader.set_channel_mode(mode)?;
    let frames = usize::try_from(reader.info().frame_count).unwrap_or(usize::MAX);
    let samples = reader.read_frames(0, frames)?;
    Ok((reader.info().clone(), samples))
}
